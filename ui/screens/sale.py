"""Sale: amount keypad (cash-register entry: digits fill from the right), currency switch,
tip presets and a custom tip, the charge button. Charging calls ``Checkout.begin`` on the
worker; the checkout's AWAITING_SCAN event then moves the app to the scan screen."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from terminal.money import Money, minor_units

from ..widgets.keypad import Keypad  # noqa: F401  (kv class)
from .base import PosScreen

if TYPE_CHECKING:
    from terminal.checkout import PendingSale

MAX_DIGITS = 9


def percent_of(amount: Money, percent: int) -> Money:
    """Tip as a whole percentage, rounded half up in minor units (integers only)."""
    return Money(amount.currency, (amount.minor * percent + 50) // 100)


class SaleScreen(PosScreen):
    merchant = StringProperty("")
    currency = StringProperty("USD")
    staff_open = BooleanProperty(False)   # the manager/technician row under the bar
    currencies = ListProperty([])
    digits = StringProperty("")
    tip_digits = StringProperty("")
    tip_choice = StringProperty("none")     # "none" | "<percent>" | "custom"
    editing = StringProperty("amount")      # which value the keypad types into
    amount_text = StringProperty("")
    tip_line = StringProperty("")
    charge_text = StringProperty("")
    message = StringProperty("")
    warning = StringProperty("")            # e.g. a tip over the cap: shown, and Charge stays off
    busy = BooleanProperty(False)
    can_charge = BooleanProperty(False)
    tips_enabled = BooleanProperty(False)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        cfg = self.app.settings
        self.merchant = f"{cfg.merchant_name} · {cfg.store_name}"
        self.currencies = list(cfg.currencies)
        self.currency = cfg.currency
        self.tips_enabled = cfg.ui.tips_enabled
        self.presets = list(cfg.ui.tip_presets)
        self.tip_cap = cfg.ui.tip_cap_percent
        self._build_tip_row()
        self.refresh()

    def _build_tip_row(self) -> None:
        from kivy.factory import Factory

        row = self.ids.tip_row
        self.tip_buttons = {}
        for choice in ["none", *[str(p) for p in self.presets], "custom"]:
            btn = Factory.ChoiceButton(group=f"tip-{id(self)}", allow_no_selection=False)
            btn.bind(on_release=lambda b, c=choice: self.choose_tip(c))
            self.tip_buttons[choice] = btn
            row.add_widget(btn)
        self.tip_buttons["none"].state = "down"

    # -- values ---------------------------------------------------------------------------
    def amount(self) -> Money:
        return Money(self.currency, int(self.digits or "0"))

    def tip(self) -> Money | None:
        if not self.tips_enabled or self.tip_choice == "none":
            return None
        if self.tip_choice == "custom":
            tip = Money(self.currency, int(self.tip_digits or "0"))
        else:
            tip = percent_of(self.amount(), int(self.tip_choice))
        return tip if tip.minor else None

    def refresh(self) -> None:
        amount, tip = self.amount(), self.tip()
        total = amount + tip if tip else amount
        self.amount_text = self.app.money(amount)
        for choice, btn in getattr(self, "tip_buttons", {}).items():
            btn.text = {"none": self.t("No tip"), "custom": self.t("Custom")}.get(choice, f"{choice} %")
        if tip or self.tip_choice == "custom":
            shown = tip or Money(self.currency, 0)
            line = "Keypad types the tip: %(tip)s · Total %(total)s" if self.editing == "tip" else \
                "Tip %(tip)s · Total %(total)s"
            self.tip_line = self.t(line, tip=self.app.money(shown), total=self.app.money(total))
        else:
            self.tip_line = ""
        self.charge_text = self.t("Charge %(total)s", total=self.app.money(total))
        over_cap = bool(tip and self.tip_cap and tip.minor * 100 > amount.minor * self.tip_cap)
        self.warning = self.t("The tip is more than %(cap)s %% of the amount: lower it.", cap=self.tip_cap) \
            if over_cap else ""
        self.can_charge = amount.minor > 0 and not over_cap

    # -- input ------------------------------------------------------------------------------
    def on_key(self, key: str) -> None:
        self.message = ""
        field = "tip_digits" if self.editing == "tip" else "digits"
        value = getattr(self, field)
        if key == "back":
            value = value[:-1]
        elif key == "C":
            value = ""
        elif len(value + key) <= MAX_DIGITS:
            value = (value + key).lstrip("0")
        setattr(self, field, value)
        self.refresh()

    def edit(self, what: str) -> None:
        self.editing = what
        if what == "amount" and self.tip_choice == "custom" and not self.tip_digits:
            self.choose_tip("none")
        self.refresh()

    def choose_tip(self, choice: str) -> None:
        self.tip_choice = choice
        for key, btn in self.tip_buttons.items():   # set in code, so keep the group exclusive here
            btn.state = "down" if key == choice else "normal"
        self.editing = "tip" if choice == "custom" else "amount"
        if choice != "custom":
            self.tip_digits = ""
        self.refresh()

    def next_currency(self) -> None:
        i = self.currencies.index(self.currency)
        self.currency = self.currencies[(i + 1) % len(self.currencies)]
        if minor_units(self.currency) != minor_units(self.currencies[i]):
            self.digits = self.tip_digits = ""
        self.refresh()

    def clear(self) -> None:
        self.digits = self.tip_digits = self.message = ""
        self.choose_tip("none") if self.tips_enabled else None
        self.editing = "amount"
        self.refresh()

    def prepare(self, clear: bool = False, **_kw: Any) -> None:
        self.staff_open = False
        if clear:
            self.clear()

    # -- actions ----------------------------------------------------------------------------
    def charge(self) -> None:
        if self.busy or not self.can_charge or not self.app.terminal_ready:
            return
        self.busy = True
        amount, tip = self.amount(), self.tip()
        # Show the scan prompt at once (the keypad-to-scan budget is 100 ms); the checkout's
        # AWAITING_SCAN event completes it, and cancel stays off until then.
        self.app.go("scan", pending=None, total=amount + tip if tip else amount)
        self.app.worker.run(self.app.checkout.begin, amount, tip=tip, on_done=self._begun, on_error=self._failed)

    def _begun(self, _pending: PendingSale) -> None:
        self.busy = False

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        if self.app.current == "scan":
            self.app.go("sale")
        self.message = self.t(getattr(exc, "message", "")) or self.t("The sale could not start.")

    def scanner_text(self, state: str, *_lang: str) -> str:
        if state in ("FAULT", "DISCONNECTED", "NONE"):
            return f"[color=ff8a80]●[/color] {self.t('Scanner off: type codes')}"
        if state == "READY":
            return f"[color=4cd07d]●[/color] {self.t('Scanner')}"
        return f"[color=c0c6d0]●[/color] {self.t('Scanner')}"

    def link_text(self, state: str, *_lang: str) -> str:
        colour, text = {"ONLINE": ("4cd07d", "Online"), "OFFLINE": ("ff8a80", "Offline")}.get(
            state, ("c0c6d0", "Checking link"))
        return f"[color={colour}]●[/color] {self.t(text)}"

    def open_text(self, count: int, *_lang: str) -> str:
        return self.t("Open payments: %(n)s", n=count) if count else self.t("No open payments")

    def open_batch(self) -> None:
        """Batch close is a manager action: the PIN, then the summary to confirm."""
        self.staff_open = False
        terminal = self.app.terminal

        def action(pin: str, as_owner: bool) -> dict:
            terminal.access.authorize_manager(None if as_owner else pin, owner_pin=pin if as_owner else None,
                                       action="batch_close")
            return terminal.batch_summary()
        self.app.screens["pin"].ask(role="manager", title=self.t("Batch close"), action=action,
                                    on_success=lambda summary: self.app.go("batch", summary=summary), back="sale")

    def open_technician(self) -> None:
        self.staff_open = False
        self.app.screens["pin"].ask(role="technician", title=self.t("Technician PIN"),
                                    action=lambda pin, _owner: self.app.terminal.access.check_pin("technician", pin),
                                    on_success=lambda _r: self.app.go("technician"), back="sale")


SCREEN = SaleScreen
