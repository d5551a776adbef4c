"""Median and p95 of an in-process sale against the sandbox answering at once, with a
breakdown of the terminal-side work: signing, JWE, journal (two fsynced commits), response
verification, and the HTTPS round trip.

    python bench/payment_overhead.py [--sales 200]

Terminal-side overhead = sign + JWE + journal + verify (the HTTP round trip includes the
sandbox's own processing, which a real acquirer replaces with its own).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from terminal import signing  # noqa: E402
from terminal.codes import parse_payment_code  # noqa: E402
from terminal.demo_codes import code_for  # noqa: E402
from terminal.journal import Journal  # noqa: E402
from terminal.records import Transaction, new_id  # noqa: E402
from terminal.states import TxState  # noqa: E402


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def stats(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=200)
    args = parser.parse_args()
    from sandbox.embedded import EmbeddedSandbox
    from tests.support import build, write_terminal_config

    with tempfile.TemporaryDirectory(prefix="bench-pay-") as tmp:
        tmp = Path(tmp)
        sandbox = EmbeddedSandbox(state_dir=tmp / "sandbox")
        sandbox.start()
        terminal = build(write_terminal_config(tmp, sandbox))
        try:
            amount = terminal.parse_amount("12.50")
            for _ in range(10):
                terminal.sale(amount, code_for("0000"))
            total = timed(lambda: terminal.sale(amount, code_for("0000")), args.sales)

            key = terminal.client.credentials().private_key
            body = b'{"paymentRequestId":"x"}' * 20
            sign = timed(lambda: signing.signed_headers(private_key=key, key_version=1, path="/v1/payments/pay",
                                                        client_id="c", body=body), args.sales)
            pub = key.public_key()
            sig = signing.sign(key, body)
            verify = timed(lambda: signing.verify(pub, body, sig), args.sales)
            encrypter = terminal.payments._encrypter()
            jwe = timed(lambda: encrypter.encrypt(parse_payment_code(code_for("0000"))), args.sales)
            journal = Journal(tmp / "bench-journal.sqlite")

            def journal_pair():
                tx = journal.create(Transaction(id=new_id("T"), payment_request_id=new_id("PR"), state=TxState.CREATED,
                                                currency="USD", amount_minor=1250, order_ref="o"))
                journal.transition(tx.id, TxState.SENT, TxState.APPROVED, result_code="SUCCESS")
            jrn = timed(journal_pair, args.sales)
            http = timed(lambda: terminal.client.call("/v1/payments/inquiryPayment", {"paymentRequestId": "nope"}),
                         args.sales)
        finally:
            terminal.close()
            sandbox.stop()
    rows = [("sale end to end (in-process sandbox)", total), ("  sign request (RSA-2048)", sign),
            ("  JWE (RSA-OAEP-256 + A256GCM)", jwe), ("  journal: intent + result (2 fsynced commits)", jrn),
            ("  verify response signature", verify), ("  HTTPS round trip (inquiry, incl. sandbox work)", http)]
    print(f"{'step':<50} {'median ms':>10} {'p95 ms':>8}")
    for name, samples in rows:
        med, p95 = stats(samples)
        print(f"{name:<50} {med:>10.2f} {p95:>8.2f}")
    overhead = [a + b + c + d for a, b, c, d in zip(sign, jwe, jrn, verify)]
    med, p95 = stats(overhead)
    print(f"{'terminal-side overhead (sign+JWE+journal+verify)':<50} {med:>10.2f} {p95:>8.2f}   target <= 5 ms median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
