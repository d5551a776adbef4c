"""Result: approved or declined with the reason a cashier can act on, a large icon and colour,
a sound, and the customer's currency and rate when the wallet paid in another currency."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.properties import ListProperty, StringProperty

from .. import sounds
from ..outcome import not_sent, outcome_of
from .base import PosScreen

if TYPE_CHECKING:
    from terminal.records import Transaction

COLOURS = {"approved": (0.09, 0.52, 0.25, 1), "declined": (0.70, 0.14, 0.14, 1),
           "unknown": (0.55, 0.36, 0.02, 1), "not_sent": (0.27, 0.32, 0.40, 1)}
RETRY_KINDS = ("declined", "not_sent")
GLYPHS = {"approved": "✓", "declined": "✕", "unknown": "?", "not_sent": "–"}


class ResultScreen(PosScreen):
    kind = StringProperty("unknown")
    headline = StringProperty("")
    amount_text = StringProperty("")
    reason_text = StringProperty("")
    detail_text = StringProperty("")
    glyph = StringProperty("?")
    colour = ListProperty(COLOURS["unknown"])

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.tx: Transaction | None = None
        self.error: BaseException | None = None
        self.tx_id = ""
        self.outcome = outcome_of(None)
        self.retry_button = self.ids.retry_btn.__self__   # a strong reference: ids are weak proxies
        self.on_kind(self, self.kind)

    def prepare(self, tx: Transaction | None = None, error: BaseException | None = None, tx_id: str = "",
                **_kw: Any) -> None:
        self.tx, self.error = tx, error
        self.tx_id = tx.id if tx is not None else tx_id
        self.outcome = outcome_of(tx, error)
        self.kind = self.outcome.kind
        self.colour = COLOURS[self.kind]
        self.glyph = GLYPHS[self.kind]
        self.refresh()
        if tx is None and self.tx_id:    # journalled or not? Not journalled means never sent.
            self.app.worker.run(self.app.terminal.get, self.tx_id, on_done=self._changed, on_error=self._not_sent)
            return
        sounds.play(self.kind)

    def _not_sent(self, exc: BaseException) -> None:
        if getattr(exc, "code", "") != "NOT_FOUND" or self.tx is not None or self.app.current != "result":
            return
        self.outcome = not_sent(self.error)
        self.kind, self.colour, self.glyph = "not_sent", COLOURS["not_sent"], GLYPHS["not_sent"]
        self.refresh()
        sounds.play("declined")

    def refresh(self) -> None:
        o, tx = self.outcome, self.tx
        self.headline = self.t(o.headline)
        self.amount_text = self.app.money(tx.amount) if tx is not None else ""
        self.reason_text = self.t(o.reason) if o.reason else ""
        lines: list[str] = []
        if tx is not None:
            if tx.wallet or tx.masked_code:
                lines.append(f"{tx.wallet}  {tx.masked_code}".strip())
            if o.customer_amount is not None:
                lines.append(self.t("Customer pays %(amount)s (rate %(rate)s)",
                                    amount=self.app.money(o.customer_amount), rate=o.rate))
            lines.append(self.t("Transaction %(id)s", id=tx.id))
        self.detail_text = "\n".join(lines)

    def icon_points(self, cx: float, cy: float, unit: float, kind: str, second: bool = False) -> list[float]:
        """Icon strokes, drawn (not a font glyph): a tick for approved, a cross for declined."""
        if kind == "approved":
            pts = [] if second else [-38, 0, -12, -28, 40, 32]
        elif kind == "declined":
            pts = [-32, 32, 32, -32] if second else [-32, -32, 32, 32]
        else:
            pts = []
        return [cx + v * unit if i % 2 == 0 else cy + v * unit for i, v in enumerate(pts)]

    def on_kind(self, _screen: ResultScreen, kind: str) -> None:
        """Try again is in the button row only after a decline or a payment never sent."""
        button = getattr(self, "retry_button", None)
        if button is None:
            return
        row, shown = self.ids.new_sale_btn.parent, kind in RETRY_KINDS
        if shown and button.parent is None:
            row.add_widget(button, index=1)       # before New sale
        elif not shown and button.parent is not None:
            row.remove_widget(button)

    def core_changed(self, tx_id: str) -> None:
        """The payment shown as "Not confirmed" moved on in the background: show how it ended."""
        if tx_id and tx_id == self.tx_id and self.kind == "unknown" and self.app.current == "result":
            self.app.worker.run(self.app.terminal.get, tx_id, on_done=self._changed, on_error=lambda _e: None)

    def _changed(self, tx: Transaction) -> None:
        if tx.id != self.tx_id or self.kind != "unknown" or self.app.current != "result":
            return
        if outcome_of(tx).kind != "unknown":
            self.prepare(tx=tx)
            self.app.worker.run(self.app.terminal.notices.mark_seen, tx.id)
        else:
            self.tx = tx
            self.refresh()

    def to_receipt(self) -> None:
        self.app.go("receipt", tx=self.tx)

    def to_history(self) -> None:
        self.app.worker.run(self.app.checkout.acknowledge)
        self.app.screens["sale"].clear()
        self.app.go("history")

    def retry(self) -> None:
        """The same amount and tip again (the sale screen still holds them), straight to the scan."""
        if self.kind not in ("declined", "not_sent"):
            return
        sale = self.app.screens["sale"]
        self.app.worker.run(self.app.checkout.acknowledge, on_done=lambda _r: sale.charge())

    def new_sale(self) -> None:
        self.app.worker.run(self.app.checkout.acknowledge)
        self.app.go("sale", clear=True)


SCREEN = ResultScreen
