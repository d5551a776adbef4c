"""Render every screen of the touchscreen app in every language to docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--size 800x480]

Runs the real app offscreen on the embedded sandbox (temporary state directory): a few real
sales (approved, declined, with a partial refund) feed the result, receipt, history, detail and
batch screens. The processing screen is shown mid-check (a synthetic progress event) and the
"not confirmed" result from an unknown-result error, since those states are brief by nature.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--size", default="800x480")
    parser.add_argument("--languages", default="en,fr_CA,zh_Hans")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from ui.headless import prepare_environment

    prepare_environment(width=width, height=height, maxfps=0)
    os.environ["POS_TERMINAL_STATE_DIR"] = tempfile.mkdtemp(prefix="pos-shots-")
    os.environ["POS_TERMINAL_UI_CACHE"] = tempfile.mkdtemp(prefix="pos-shots-ui-")

    from drivers.scanners import VirtualScanner
    from terminal.checkout import Checkout
    from terminal.config import load_config, parse_config
    from terminal.errors import UnknownResultError
    from terminal.wiring import DEMO_MANAGER_PIN, build_terminal
    from ui.app import PosApp
    from ui.headless import AppDriver

    data = load_config().model_dump(mode="json")
    data["acquirer"].update(inquiry_interval_s=0.1, inquiry_window_s=10)
    terminal = build_terminal(parse_config(data))
    checkout = Checkout(terminal=terminal)
    app = PosApp(terminal=terminal, checkout=checkout, scanner=VirtualScanner(), demo=True, lang="en")
    ui = AppDriver(app).start()
    ui.settle()
    out = Path(args.out)

    def sale(digits: str, code: str):
        s = app.screens["sale"]
        s.clear()
        for k in digits:
            s.keypad.press(k)
        s.charge()
        ui.screen("scan")
        ui.settle()
        app.worker.run(app.scanner_link.present, code)
        ui.screen("result")
        ui.settle()
        tx = app.screens["result"].tx
        checkout.acknowledge()
        return tx

    declined = sale("800", "281012345678900051")
    approved = sale("2375", "281012345678900091")
    terminal.refund(approved.id, terminal.parse_amount("5.00"), pin=DEMO_MANAGER_PIN)
    approved = terminal.get(approved.id)
    batch_report = None

    shots = 0
    for lang in args.languages.split(","):
        app.set_language(lang)
        ui.frames(2)

        def shot(name: str) -> None:
            nonlocal shots
            ui.settle()
            ui.screenshot(out / f"{lang}-{name}.png")  # noqa: B023 - called only inside this iteration
            shots += 1

        s = app.screens["sale"]
        s.clear()
        for k in "1250":
            s.keypad.press(k)
        s.choose_tip("15")
        app.go("sale")
        shot("sale")
        s.staff_open = True            # the Manager row: Batch close and Technician, each behind its PIN
        shot("sale-manager")
        s.staff_open = False
        s.choose_tip("none")
        s.charge()
        ui.screen("scan")
        shot("scan")
        pending = app.screens["scan"].pending
        app.go("processing", tx_id=pending.tx_id)
        app.screens["processing"].on_progress(pending.tx_id, {"phase": "inquiring", "attempt": 3, "elapsedS": 7.5})
        shot("processing")
        checkout.cancel()
        ui.screen("sale")
        app.go("result", tx=approved)
        shot("result-approved")
        app.go("result", tx=declined)
        shot("result-declined")
        app.go("result", tx=None, error=UnknownResultError(
            "The acquirer has not confirmed this payment yet. Do not hand over goods: the terminal keeps "
            "checking; see History."))
        shot("result-unknown")
        app.go("receipt", tx=approved)
        shot("receipt")
        app.go("history")
        ui.settle()
        ui.frames(3)                                 # the list is loaded and laid out
        shot("history")
        app.go("detail", tx_id=approved.id)
        shot("detail")
        app.go("refund", tx=approved, remaining=approved.amount - approved.refunded())
        shot("refund")
        app.go("detail", tx_id=approved.id)
        ui.settle()
        app.screens["detail"].void()                 # the real void flow: its own PIN title
        ui.screen("pin")
        app.screens["pin"].entry = "12"
        app.screens["pin"]._set_feedback("Wrong PIN: %(n)s tries left.", "error", n=4)
        shot("pin")
        app.go("batch", summary=terminal.batch_summary())
        if batch_report is None:
            app.screens["batch"].close_batch()
            ui.settle()
            batch_report = app.screens["batch"].report
        else:
            b = app.screens["batch"]
            b.report, b.closed, b._status = batch_report, True, ("Batch closed.", {})
            b.refresh()
        shot("batch")
        app.go("lock", back_to="sale")
        shot("lock")
        app.go("technician")
        shot("technician")
        app.go("open")
        shot("open")
        app.show_print_result(type("NotPrinted", (), {"printed": False, "message": "paper out",
                                                      "status": "PAPER_OUT"})())
        app.go("sale")
        shot("sale-banner")
        app.banners.clear("printer")
    ui.stop()
    terminal.close()
    print(f"{shots} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
