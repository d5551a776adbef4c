"""Driving the running app in UI tests: amounts typed and codes shown through touches, and the
tour of every screen that the layout checks (overflow, touch targets) inspect."""
from __future__ import annotations

from collections.abc import Iterator

from terminal.demo_codes import DEMO_CODES

LABEL_OF = {code[-4:]: label for label, code, _ in DEMO_CODES}


def type_amount(ui, digits: str) -> None:
    sale = ui.app.screens["sale"]
    for key in digits:
        ui.tap(next(w for w in sale.keypad.children if w.text == key))


def start_sale(ui, digits: str = "1250") -> None:
    type_amount(ui, digits)
    ui.tap(ui.app.screens["sale"].ids.charge_btn)
    ui.screen("scan")
    ui.idle_until(lambda: ui.app.screens["scan"].ready, what="checkout awaiting the scan")
    ui.settle()


def present(ui, suffix: str) -> None:
    """The customer shows a demo code: a tap on the phone panel's button for it."""
    scan = ui.app.screens["scan"]
    button = scan.phone_buttons[LABEL_OF[suffix]]
    button.parent.parent.scroll_to(button, padding=0, animate=False)
    ui.frames(3)
    ui.tap(button)


def sell(ui, digits: str, suffix: str, *, watch=None):
    start_sale(ui, digits)
    present(ui, suffix)
    ui.idle_until(lambda: (watch() if watch else None, ui.app.current == "result")[1], what="result")
    ui.settle()
    return ui.app.screens["result"]


def shown(result) -> str:
    """What the result screen shows, for an assertion message: its kind and the transaction's
    state, result code and masked code (whose last digits say which demo code was presented)."""
    tx = getattr(result, "tx", None)
    if tx is None:
        return f"kind {result.kind!r}, no transaction (tx_id {result.tx_id!r})"
    return (f"kind {result.kind!r}: {tx.id} {tx.state.value} resultCode={tx.result_code!r} "
            f"code {tx.masked_code}")


def receipt_then_next_sale(ui) -> None:
    """From an approved result: show the slip, wait until it is rendered, Done, back at the keypad."""
    app = ui.app
    ui.tap(app.screens["result"].ids.receipt_btn)
    ui.screen("receipt")
    ui.idle_until(lambda: bool(app.screens["receipt"].preview), what="slip rendered")
    ui.tap(app.screens["receipt"].ids.done_btn)
    ui.screen("sale")
    ui.settle()


def screen_tour(ui) -> Iterator[tuple[str, tuple]]:
    """Every screen a cashier can reach, plus the sale screen's custom tip and staff row and the
    scan screen's typed entry: yields (stop name, widget roots to inspect: the screen and the
    banners), each laid out and settled. Consume it to the end: it leaves the sale screen."""
    app = ui.app
    sale = app.screens["sale"]

    def stop(name: str) -> tuple[str, tuple]:
        ui.frames(3)
        ui.settle()
        return name, (app.sm.current_screen, app.banners)
    type_amount(ui, "100")
    ui.tap(sale.tip_buttons["custom"])
    type_amount(ui, "9999")
    yield stop("sale-tip")
    sale.clear()
    sale.staff_open = True            # the manager/technician row
    yield stop("sale-staff")
    sale.staff_open = False
    for name in ("sale", "history", "open", "batch", "technician", "lock", "error"):
        app.go(name)
        yield stop(name)
    app.go("sale")
    ui.screen("sale")
    start_sale(ui, "150")
    yield stop("scan")
    app.screens["scan"].toggle_manual()
    yield stop("scan-manual")
    ui.tap(app.screens["scan"].ids.cancel_btn)
    ui.screen("sale")
    app.go("result", tx=None, error=None)
    yield stop("result")
    app.screens["result"].new_sale()
    app.screens["sale"].open_batch()
    yield stop("pin")
    app.screens["pin"].back()
