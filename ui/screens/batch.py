"""Batch close, behind the manager PIN: first the summary of the open batch to confirm (an
empty batch is refused, not closed), then the close with the acquirer, its totals per currency
and every difference between the terminal's journal and the acquirer's records."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.properties import BooleanProperty, StringProperty

from terminal.money import Money

from .base import PosScreen

if TYPE_CHECKING:
    from drivers.printers import PrintResult
    from terminal.batch import BatchReport

DIFFERENCE_TEXT = {
    "ONLY_ON_TERMINAL": "Only on the terminal",
    "ONLY_AT_ACQUIRER": "Only at the acquirer",
    "AMOUNT_DIFFERS": "Amounts differ",
    "TOTALS_DIFFER": "Totals differ",
}


class BatchScreen(PosScreen):
    body = StringProperty("")
    status = StringProperty("")
    busy = BooleanProperty(False)
    closed = BooleanProperty(False)
    can_close = BooleanProperty(False)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.report: BatchReport | None = None
        self.summary: dict | None = None
        self.empty = True
        self._status: tuple[str, dict] = ("", {})

    def prepare(self, summary: dict | None = None, **_kw: Any) -> None:
        """A new visit (after the PIN) starts from the open batch's summary."""
        if summary is None:
            self.refresh()
            return
        self.summary, self.report, self.closed, self.busy = summary, None, False, False
        self.empty = not summary.get("totals")
        self._status = ("Nothing to close: no payments or refunds since the last batch close.", {}) if self.empty \
            else ("Check the totals, then close the batch.", {})
        self.refresh()

    def _totals_lines(self, totals: list[dict]) -> list[str]:
        lines = []
        for t in totals:
            cur = t["currency"]
            lines.append(f"[b]{cur}[/b]")
            lines.append("  " + self.t("Payments: %(n)s, %(amount)s", n=t["paymentCount"],
                                       amount=self.app.money(Money(cur, int(t["paymentAmount"])))))
            lines.append("  " + self.t("Refunds: %(n)s, %(amount)s", n=t["refundCount"],
                                       amount=self.app.money(Money(cur, int(t["refundAmount"])))))
        return lines

    def refresh(self) -> None:
        msgid, values = self._status
        self.status = self.t(msgid, **values) if msgid else ""
        self.can_close = bool(self.summary) and not self.empty and not self.closed
        if self.report is None:
            summary = self.summary or {}
            lines = [self.t("Closing the batch sends today's totals to the acquirer and starts a new batch. "
                            "Payments still being checked are resolved first."), ""]
            if summary:
                lines.append("[b]" + self.t("Batch %(id)s", id=summary.get("batchId", "")) + "[/b]")
                lines += self._totals_lines(summary.get("totals") or []) or [self.t("No payments in this batch.")]
            self.body = "\n".join(lines)
            return
        r = self.report
        head = self.t("Matched with the acquirer") if r.matched else self.t("Differences with the acquirer")
        colour = "4cd07d" if r.matched else "ff7a70"
        lines = [f"[b][color={colour}]{head}[/color][/b]", self.t("Batch %(id)s", id=r.batch_id), ""]
        if not r.totals:
            lines.append(self.t("No payments in this batch."))
        lines += self._totals_lines(r.totals)
        if r.differences:
            lines += ["", "[b]" + self.t("Differences") + "[/b]"]
            for d in r.differences:
                lines.append(f"  {self.t(DIFFERENCE_TEXT.get(d.kind, d.kind))}: {d.reference}  "
                             f"{d.terminal or '—'} / {d.acquirer or '—'}")
        self.body = "\n".join(lines)

    def close_batch(self) -> None:
        if self.busy or self.closed or self.empty:
            return
        self.busy = True
        self._status = ("Closing the batch…", {})
        self.refresh()
        self.app.worker.run(self.app.terminal.close_batch, allow_empty=False, on_done=self._closed,
                            on_error=self._failed)

    def _closed(self, report: BatchReport) -> None:
        self.busy, self.closed, self.report = False, True, report
        self._status = ("Batch closed.", {})
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self._status = (getattr(exc, "message", "") or "The batch could not be closed.", {})
        self.refresh()

    def print_report(self) -> None:
        if self.report is None:     # nothing closed yet: the button is not shown
            return
        self.busy = True
        self.app.worker.run(self.app.terminal.receipts.print_batch_report, self.report, on_done=self._printed)

    def _printed(self, result: PrintResult) -> None:
        self.busy = False
        self.app.show_print_result(result)
        self._status = ("Printed.", {}) if result.printed else ("Not printed: check the printer.", {})
        self.refresh()


SCREEN = BatchScreen
