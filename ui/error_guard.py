"""An uncaught error on the UI thread never ends the app.

Kivy's main loop hands any exception from a frame to its ExceptionManager and, by default,
re-raises it: the app closes in front of the cashier, possibly mid-payment. This handler logs
the error with its traceback, shows the error screen (what happened, that payments are safe,
and a way back to a consistent till) and lets the loop go on. Only KeyboardInterrupt and
SystemExit still stop the app. Kivy's ExceptionManager is process-wide, so the app adds the
handler when it builds the till and removes it when it stops.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kivy.base import ExceptionHandler, ExceptionManager

if TYPE_CHECKING:
    from .app import PosApp

log = logging.getLogger("ui.errors")
KEPT = 20


class UiErrorGuard(ExceptionHandler):
    def __init__(self, *, app: PosApp):
        self.app = app

    def handle_exception(self, exception: BaseException) -> Any:   # ExceptionManager.RAISE or PASS
        if isinstance(exception, (KeyboardInterrupt, SystemExit)):
            return ExceptionManager.RAISE
        log.error("uncaught error on the UI thread: %s", type(exception).__name__,
                  exc_info=(type(exception), exception, exception.__traceback__))
        errors = self.app.ui_errors
        errors.append(exception)
        del errors[:-KEPT]
        try:
            self.app.show_error()
        except Exception:   # the error screen itself failed: keep the loop alive all the same
            log.exception("the error screen could not be shown")
        return ExceptionManager.PASS

    def install(self) -> None:
        ExceptionManager.add_handler(self)

    def remove(self) -> None:
        ExceptionManager.remove_handler(self)
