"""Median and p95 of an in-process sale against the sandbox answering at once, with a
breakdown of the terminal-side work (signing, JWE, journal: two fsynced commits, response
verification) and, beside each step, its floor measured in the same run:

- sign / verify: one raw RSA-2048 PKCS#1 v1.5 SHA-256 operation (cryptography), no headers;
- JWE: the raw primitives of RSA-OAEP-256 + A256GCM (one RSA-OAEP encryption of a fresh
  content key, one AES-GCM encryption of the code), no JOSE serialisation;
- journal: two raw SQLite commits (WAL, synchronous=FULL: each one fsyncs) of one small row.

    python bench/payment_overhead.py [--sales 200]
    python bench/payment_overhead.py --floor-only     # no sandbox: the steps and their floors

The ratio overhead / floor is the figure that does not depend on the machine (the CI check
in bench/ratios.py compares it with the committed baseline). The HTTPS round trip includes
the sandbox's own processing, which a real acquirer replaces with its own.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from terminal import signing
from terminal.codes import parse_payment_code
from terminal.demo_codes import code_for
from terminal.journal import Journal
from terminal.records import Transaction, new_id
from terminal.states import TxState
from terminal.tokenise import CredentialEncrypter

BODY = b'{"paymentRequestId":"x"}' * 20


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


def interleaved(pairs: dict[str, tuple], n: int) -> dict[str, list[float]]:
    """Time each step and its floor alternately, so a load change on a shared machine hits
    both alike (the ratio is what is compared)."""
    out: dict[str, list[float]] = {}
    for _ in range(n):
        for name, fn in pairs.items():
            t0 = time.perf_counter()
            fn()
            out.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
    return out


def measure_steps(tmp: Path, n: int, *, key=None, encrypter: CredentialEncrypter | None = None
                  ) -> dict[str, list[float]]:
    """Samples (ms) of each terminal-side step and of its raw floor, interleaved."""
    key = key or signing.generate_private_key()
    pub = key.public_key()
    sig = signing.sign(key, BODY)
    enc_pub = signing.generate_private_key().public_key()  # RSA-2048, as the acquirer's key
    if encrypter is None:
        encrypter = CredentialEncrypter(public_key_pem=signing.public_key_pem(enc_pub), kid="bench")
    code = parse_payment_code(code_for("0000"))
    digits = code.reveal().encode("ascii")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)

    def raw_jwe() -> None:
        cek = AESGCM.generate_key(bit_length=256)
        enc_pub.encrypt(cek, oaep)
        AESGCM(cek).encrypt(os.urandom(12), digits, b"header")

    journal = Journal(tmp / "bench-journal.sqlite")

    def journal_pair() -> None:
        tx = journal.create(Transaction(id=new_id("T"), payment_request_id=new_id("PR"), state=TxState.CREATED,
                                        currency="USD", amount_minor=1250, order_ref="o"))
        journal.transition(tx.id, TxState.SENT, TxState.APPROVED, expect=TxState.CREATED, result_code="SUCCESS")

    raw = sqlite3.connect(tmp / "bench-raw.sqlite", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, state TEXT)")

    def raw_commit_pair() -> None:
        row = new_id("T")
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO t VALUES (?, 'CREATED')", (row,))
        raw.execute("COMMIT")
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE t SET state='APPROVED' WHERE id=?", (row,))
        raw.execute("COMMIT")

    steps = {
        "sign": lambda: signing.signed_headers(private_key=key, key_version=1, path="/v1/payments/pay",
                                               client_id="c", body=BODY),
        "sign_floor": lambda: key.sign(BODY, padding.PKCS1v15(), hashes.SHA256()),
        "jwe": lambda: encrypter.encrypt(code),
        "jwe_floor": raw_jwe,
        "journal": journal_pair,
        "journal_floor": raw_commit_pair,
        "verify": lambda: signing.verify(pub, BODY, sig),
        "verify_floor": lambda: pub.verify(sig, BODY, padding.PKCS1v15(), hashes.SHA256()),
    }
    for fn in steps.values():  # warm-up
        fn()
    try:
        return interleaved(steps, n)
    finally:
        journal.close()
        raw.close()


def overhead_ratios(samples: dict[str, list[float]]) -> dict[str, float]:
    """Median of each step over the median of its floor, and of the whole overhead (sum of
    the steps, per sample) over the whole floor."""
    med = {k: statistics.median(v) for k, v in samples.items()}
    parts = ("sign", "jwe", "journal", "verify")
    total = [sum(samples[p][i] for p in parts) for i in range(len(samples["sign"]))]
    floor = [sum(samples[p + "_floor"][i] for p in parts) for i in range(len(samples["sign"]))]
    out = {f"{p}_x_floor": med[p] / med[p + "_floor"] for p in parts}
    out["overhead_x_floor"] = statistics.median(total) / statistics.median(floor)
    return out


def print_steps(samples: dict[str, list[float]], e2e: list[float] | None = None,
                http: list[float] | None = None) -> None:
    labels = {"sign": "sign request (RSA-2048)", "jwe": "JWE (RSA-OAEP-256 + A256GCM)",
              "journal": "journal: intent + result (2 fsynced commits)", "verify": "verify response signature"}
    print(f"{'step':<48}{'median ms':>10}{'p95 ms':>8}{'floor ms':>10}{'x floor':>9}")
    if e2e:
        med, p95 = stats(e2e)
        print(f"{'sale end to end (in-process sandbox)':<48}{med:>10.2f}{p95:>8.2f}")
    for p, label in labels.items():
        med, p95 = stats(samples[p])
        floor = statistics.median(samples[p + "_floor"])
        print(f"{'  ' + label:<48}{med:>10.2f}{p95:>8.2f}{floor:>10.2f}{med / floor:>9.2f}")
    if http:
        med, p95 = stats(http)
        print(f"{'  HTTPS round trip (inquiry, incl. sandbox work)':<48}{med:>10.2f}{p95:>8.2f}")
    parts = ("sign", "jwe", "journal", "verify")
    total = [sum(samples[p][i] for p in parts) for i in range(len(samples["sign"]))]
    floor = [sum(samples[p + "_floor"][i] for p in parts) for i in range(len(samples["sign"]))]
    med, p95 = stats(total)
    fmed = statistics.median(floor)
    print(f"{'terminal-side overhead (sign+JWE+journal+verify)':<48}{med:>10.2f}{p95:>8.2f}{fmed:>10.2f}"
          f"{med / fmed:>9.2f}   target <= 5 ms median")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--floor-only", action="store_true", help="only the steps and their floors")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pay-") as tmp:
        tmp = Path(tmp)
        if args.floor_only:
            print_steps(measure_steps(tmp, args.sales))
            return 0
        from sandbox.embedded import EmbeddedSandbox
        from tests.support import build, write_terminal_config

        sandbox = EmbeddedSandbox(state_dir=tmp / "sandbox")
        sandbox.start()
        terminal = build(write_terminal_config(tmp, sandbox))
        try:
            amount = terminal.parse_amount("12.50")
            for _ in range(10):
                terminal.sale(amount, code_for("0000"))
            total = timed(lambda: terminal.sale(amount, code_for("0000")), args.sales)
            samples = measure_steps(tmp, args.sales, key=terminal._around.client.credentials().private_key,
                                    encrypter=terminal._payments._encrypter())
            http = timed(lambda: terminal._around.client.call("/v1/payments/inquiryPayment", {"paymentRequestId": "nope"}),
                         args.sales)
        finally:
            terminal.close()
            sandbox.stop()
    print_steps(samples, total, http)
    return 0


if __name__ == "__main__":
    sys.exit(main())
