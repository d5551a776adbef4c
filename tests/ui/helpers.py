from __future__ import annotations

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
