"""Technician area (behind the technician PIN): live status — versions, terminal identity,
device health, recorded faults, journal integrity. Provisioning joins here when it lands."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.properties import BooleanProperty, StringProperty

from .. import diagnostics
from .base import PosScreen

if TYPE_CHECKING:
    from drivers.printers import PrintResult

    from ..diagnostics import Row


class TechnicianScreen(PosScreen):
    body = StringProperty("")
    busy = BooleanProperty(False)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.rows: list[diagnostics.Row] = []

    def on_pre_enter(self, *args: Any) -> None:
        self.load()

    def load(self) -> None:
        self.busy = True
        self.app.worker.run(diagnostics.gather, self.app.terminal, self.app.link.scanner,
                            on_done=self._loaded, on_error=lambda _e: setattr(self, "busy", False))

    def test_print(self) -> None:
        """The same slip as `pos-terminal print-test` (terminal.receipts.print_test)."""
        self.busy = True
        self.app.worker.run(self.app.terminal.receipts.print_test, on_done=self._printed,
                            on_error=lambda e: self._printed(None, e))

    def _printed(self, result: PrintResult | None, error: BaseException | None = None) -> None:
        self.busy = False
        if result is not None and result.printed:
            self.app.banners.show("test_print", self.t("Test slip printed."), "info")
        else:
            why = getattr(error, "message", str(error)) if error is not None else result.message if result else ""
            self.app.banners.show("test_print", self.t("Test slip not printed:") + f" {why}", "error")
        self.load()

    def _loaded(self, rows: list[Row]) -> None:
        self.busy = False
        self.rows = rows
        self.refresh()

    def refresh(self) -> None:
        lines, section = [], None
        for row in self.rows:
            if row.section != section:
                section = row.section
                lines.append(f"\n[b]{self.t(section)}[/b]")
            mark = {True: "[color=4cd07d]OK[/color]  ", False: "[color=ff7a70]FAIL[/color]  ", None: ""}[row.ok]
            lines.append(f"  {mark}{self.t(row.label)}: {row.value}")
        lines.append("\n" + self.t("Provisioning and key rotation: not available on the touchscreen yet "
                                   "(use the command line)."))
        self.body = "\n".join(lines).strip()


SCREEN = TechnicianScreen
