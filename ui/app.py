"""The cashier's touchscreen app: one ScreenManager, one controller per screen.

Composition comes from the caller (``terminal/cli/cmd_app.py``, tests, the screenshot script):
a Terminal, its Checkout, an optional scanner. The app never builds core objects itself and
never calls them on the UI thread: ``self.worker`` runs them, ``CoreEvents`` brings the
terminal's events back through the Clock, and the checkout's states drive the sale screens.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.uix.widget import Widget

from terminal.settings import Settings
from terminal.watchdog import UI_MAX_STALL_S, WORKER_MAX_STALL_S

from . import i18n
from .error_guard import UiErrorGuard
from .events import CoreEvent, CoreEvents
from .fonts import register_default_font
from .open_payments import PaymentWatch
from .scanning import ScannerLink
from .screen_book import ScreenBook
from .worker import Worker

if TYPE_CHECKING:
    from drivers.printers import PrintResult
    from drivers.scanners import Scanner
    from terminal.checkout import Checkout
    from terminal.config import Config
    from terminal.money import Money
    from terminal.service import Terminal

log = logging.getLogger("ui.app")
HERE = Path(__file__).resolve().parent
SCREENS = ("sale", "scan", "processing", "result", "receipt", "history", "detail", "refund", "pin",
           "batch", "lock", "technician", "open", "error")
SALE_FLOW = {"scan", "processing", "result"}
AT_START = ("sale",)
# Built one per idle frame once the keypad is up: the first Charge does not wait for its screens,
# and a UI error rarely has to build the error screen in the middle of the failure.
WARM = ("scan", "processing", "result", "receipt", "error")
CLOSE_CONFIRM_S = 10.0   # a second close within this time quits during a payment check


def printer_text(status: str | None) -> str:
    """What the cashier can do about a printer that did not print (a msgid)."""
    if status == "PAPER_OUT":
        return "The printer is out of paper or its cover is open: load a roll."
    return "The printer does not answer: check its power and cable, or call a technician."


class PosApp(App):
    root: Any   # Kivy's: the till (PosRoot), or the cannot-start message
    lang = StringProperty("en")
    demo = BooleanProperty(False)
    open_count = NumericProperty(0)     # payments not final yet (the sale screen's indicator)
    link_state = StringProperty("UNKNOWN")   # the acquirer link: ONLINE | OFFLINE | UNKNOWN
    scanner_state = StringProperty("UNKNOWN")  # READY | FAULT | DISCONNECTED | NONE | UNKNOWN
    terminal_ready = BooleanProperty(False)   # built: Charge, History and the staff actions work
    title = "POS terminal"

    def __init__(self, *, terminal: Terminal | None = None, checkout: Checkout | None = None,
                 scanner: Scanner | None = None, demo: bool = False, lang: str | None = None,
                 worker: Worker | None = None, clock: Callable[[], float] = time.monotonic,
                 loader: Callable[[], tuple[Terminal, Checkout]] | None = None, config: Config | None = None,
                 **kwargs: Any):
        """Either a built `terminal` + `checkout`, or a `loader()` returning them (with the
        `config` it builds them from). With a loader the till opens at once and the cashier can
        type an amount while the worker prepares the journal, keys and acquirer link; Charge,
        History and the staff actions wait, visibly, for `terminal_ready`."""
        if loader is None and (terminal is None or checkout is None):
            raise ValueError("PosApp needs a terminal (with its checkout) or a loader() that builds them")
        # what the screens read of the configuration (terminal/settings.py); before the terminal is
        # built (a loader start), from the configuration it is being built from
        if terminal is not None:
            settings = terminal.settings
        elif config is not None:
            settings = Settings.from_config(config)
        else:
            raise ValueError("PosApp with a loader needs the config the terminal is built from")
        super().__init__(**kwargs)
        self.demo = demo
        self.worker = worker or Worker()
        self.checkout_state = "IDLE"
        self._clock = clock
        self._last_touch = clock()
        self._close_warned_at: float | None = None
        self._lang_arg = lang
        self._scanner = scanner
        self._loader = loader
        self.settings: Settings = settings
        self._terminal: Terminal | None = None     # attached once built (the properties below)
        self._checkout: Checkout | None = None
        self.events: CoreEvents | None = None
        self.scanner_link: ScannerLink | None = None
        self.screens: Any = {}       # a ScreenBook once the till is built
        self.startup_problems: list[tuple[str, str]] = []   # (banner key, message) known before start
        self.ui_errors: list[BaseException] = []     # uncaught UI-thread errors, newest last (tests read it)
        self._guard = UiErrorGuard(app=self)
        if terminal is not None and checkout is not None:
            self._attach(terminal, checkout)

    def _attach(self, terminal: Terminal, checkout: Checkout) -> None:
        self._terminal = terminal
        self._checkout = checkout
        self.settings = terminal.settings
        self.scanner_link = ScannerLink(scanner=self._scanner, checkout=checkout, on_rejected=self._scan_rejected,
                                        on_health=self._scanner_health)

    @property
    def terminal(self) -> Terminal:
        """The core. Screens that call it open once `terminal_ready` (Charge, History and the staff
        actions wait for it), so reaching it earlier is a bug, raised as one."""
        if self._terminal is None:
            raise RuntimeError("the terminal is not built yet: wait for terminal_ready")
        return self._terminal

    @property
    def checkout(self) -> Checkout:
        if self._checkout is None:
            raise RuntimeError("the checkout is not built yet: wait for terminal_ready")
        return self._checkout

    @property
    def link(self) -> ScannerLink:
        """The scanner link of the attached terminal (made with it: screens that use it open once
        the terminal is ready)."""
        if self.scanner_link is None:
            raise RuntimeError("no scanner link before the terminal is attached (PosApp(terminal=) or its loader)")
        return self.scanner_link

    # -- building ---------------------------------------------------------------------------
    def build(self) -> Widget:
        root = self._build_till()
        if self._terminal is None:
            self._load_after_first_frame()
        else:
            self._connect_till()
        return root

    def _load_after_first_frame(self) -> None:
        """The keypad is drawn first; then the worker builds the terminal (the two would only
        share one interpreter lock, and the cashier sees the keypad sooner this way)."""
        loader = self._loader
        if loader is None:
            raise RuntimeError("no terminal and no loader to build one")

        def start(*_args: Any) -> None:
            Window.unbind(on_flip=start)
            self.worker.run(loader, on_done=self._loaded, on_error=self._load_failed)
        Window.bind(on_flip=start)

    def _loaded(self, built: tuple[Terminal, Checkout]) -> None:
        terminal, checkout = built
        shown = self.settings
        self._attach(terminal, checkout)
        if shown.till() != terminal.settings.till():
            # The terminal starts on another configuration (a fleet change staged for this start):
            # the sale screen is rebuilt from it, never left with the old currency, tips or name.
            log.info("configuration changed at start: the sale screen is rebuilt")
            if not self._lang_arg:
                self.set_language(i18n.language_for_locale(terminal.settings.locale))
            self.screens.forget("sale")
            self.go("sale")
        self._connect_till()

    def _load_failed(self, exc: BaseException) -> None:
        """The till gives way to what happened and what to do (wrapped inside the window)."""
        from kivy.uix.label import Label

        message = Label(text=self.cannot_start_text(exc), font_size="22sp", halign="center", valign="middle",
                        padding=(24, 24))
        message.bind(size=lambda w, size: setattr(w, "text_size", (size[0] - 48, None)))
        Window.remove_widget(self.root)
        self.root = message
        Window.add_widget(message)
        self.load_error = exc

    def cannot_start_text(self, exc: BaseException) -> str:
        """In the till's language: what happened and what to do; the core's own message (for the
        technician, in English) below it."""
        try:     # set_language finds the catalogs (packaged, or compiled from a checkout's .po)
            lang = self._lang_arg or i18n.language_for_locale(self.settings.locale)
            self.set_language(lang)
        except Exception:      # no catalogs: the English text still says what to do
            log.exception("catalogs not loaded for the cannot-start screen")
        return (i18n._("The terminal cannot start.") + "\n" +
                i18n._("Call a technician: they can run `pos-terminal diagnose` to see what to fix.") +
                "\n\n" + str(getattr(exc, "message", exc)))

    def _build_till(self) -> Widget:
        """The till as the cashier sees it: needs the configuration only, not the terminal."""
        register_default_font()
        self.set_language(self._lang_arg or i18n.language_for_locale(self.settings.locale))
        Builder.load_file(str(HERE / "widgets" / "common.kv"))
        from .root import PosRoot
        from .screens import load_screen

        self._guard.install()
        self.root_widget = PosRoot()
        self.sm: ScreenManager = self.root_widget.ids.sm
        self.sm.transition = NoTransition()
        self.banners = self.root_widget.ids.banners
        self.watch = PaymentWatch(app=self)
        self.screens = ScreenBook(names=SCREENS, build=lambda name: load_screen(name, app=self),
                                  add=self.sm.add_widget, remove=self.sm.remove_widget)
        for name in AT_START:
            self.screens[name]
        self.sm.current = "sale"
        Window.bind(on_touch_down=self._touched, on_key_down=self._touched)
        Window.bind(on_request_close=self._request_close)
        for key, message in self.startup_problems:
            self.banners.show(key, message, "error")
        return self.root_widget

    def _connect_till(self) -> None:
        """The terminal is built: its events, the scanner, the link and liveness, the start-up
        recovery of earlier payments; then Charge and the staff actions open."""
        link = self.link
        self.events = CoreEvents(terminal=self.terminal, checkout=self.checkout, on_event=self.on_core_event)
        self.worker.run(link.start)
        link.bind_keyboard(Window)
        if link.scanner is None:
            self.scanner_state = "NONE"
        Clock.schedule_interval(lambda _dt: self._poll_link(), 1.0)
        self._start_heartbeats()
        if self.settings.ui.idle_lock_s:
            Clock.schedule_interval(lambda _dt: self.check_idle(), 1.0)
        self.worker.run(self._startup_checks, on_done=self._show_startup_checks)
        self.terminal_ready = True
        self.screens.warm(WARM)

    def _start_heartbeats(self) -> None:
        """The systemd watchdog pings only while this Clock and the worker pool are alive."""
        liveness = self.terminal.upkeep.liveness
        if liveness is None:
            return
        ui_beat = liveness.heartbeat("ui loop", UI_MAX_STALL_S)
        worker_beat = liveness.heartbeat("payment worker", WORKER_MAX_STALL_S)

        def tick(_dt: float) -> None:
            ui_beat.tick()
            self.worker.probe(worker_beat.tick)
        Clock.schedule_interval(tick, 1.0)

    def on_stop(self) -> None:
        self._guard.remove()
        Window.unbind(on_request_close=self._request_close)
        if self.events:
            self.events.close()
        if self.scanner_link is not None:
            self.scanner_link.stop()
        self.worker.shutdown()

    # -- navigation and language --------------------------------------------------------------
    def go(self, name: str, **kwargs: Any) -> None:
        screen = self.screens[name]
        if hasattr(screen, "prepare"):
            screen.prepare(**kwargs)
        self.sm.current = name

    def resume(self, name: str) -> None:
        """Back to a screen as it was left (after a PIN, the lock): no prepare, no reset."""
        self.screens[name]
        self.sm.current = name

    def show_error(self) -> None:
        if self.screens.get("error") is not None:
            self.sm.current = "error"

    def back_to_till(self) -> None:
        """Where the checkout really is: its sale's screen, or the sale screen."""
        state = self._checkout.state.value if self._checkout is not None else "IDLE"
        if state == "AWAITING_SCAN":
            self.go("scan", pending=self.checkout.pending)
        elif state == "PROCESSING":
            self.resume("processing")
        elif state == "RESULT":
            self.go("result", tx=self.checkout.result, error=self.checkout.error)
        else:
            self.go("sale")

    @property
    def current(self) -> str:
        return self.sm.current

    def current_ready(self) -> bool:
        """The till is up and can charge (after a loader start, once the terminal is built)."""
        return self.terminal_ready and self.sm.current == "sale"

    def set_language(self, lang: str) -> None:
        self.lang = i18n.set_language(lang)
        if getattr(self, "banners", None) is not None:
            self.banners.rerender()

    def money(self, money: Money) -> str:
        from terminal.money import format_money

        return format_money(money, i18n.money_locale(self.lang, self.settings.locale))

    # -- core events ----------------------------------------------------------------------------
    def on_core_event(self, ev: CoreEvent) -> None:
        if ev.kind == "checkout":
            self.checkout_state = ev.state
            if ev.state == "AWAITING_SCAN":
                self.go("scan", pending=ev.pending)
            elif ev.state == "PROCESSING":
                self.go("processing", tx_id=ev.tx_id)
            elif ev.state == "RESULT":
                self.go("result", tx=ev.result, error=ev.error, tx_id=ev.tx_id)
                self.watch.changed()     # no longer live: a "Not confirmed" sale now counts as open
            elif ev.state == "IDLE" and ev.detail.get("aborted") and self.current in SALE_FLOW:
                self.go("sale")
        elif ev.kind == "progress":
            self.screens["processing"].on_progress(ev.tx_id, ev.detail)
        elif ev.kind == "fault":
            from terminal.reasons import reason

            code = ev.detail.get("code", "")
            known = reason(code, "")
            self.banners.show("fault", lambda: (i18n._(known) if known and not known.startswith("Declined (") else
                                                i18n._("Terminal fault: call a technician.")) , "error")
        elif ev.detail.get("to"):
            # Both act only while shown: a screen not built yet has nothing to update.
            history, result = self.screens.built("history"), self.screens.built("result")
            if history is not None:
                history.core_changed()
            if result is not None:
                result.core_changed(ev.tx_id)
            self.watch.changed()

    def _poll_link(self) -> None:
        """A read of an attribute the acquirer client keeps current (no I/O on the UI thread)."""
        self.link_state = self.terminal.link_state()

    def _scan_rejected(self, message: str) -> None:
        self.banners.show("scan", lambda: i18n._(message), "warning", timeout=8)

    def _scanner_health(self, state: str, message: str) -> None:
        """The cashier's words in the banner; the driver's detail goes to the log (and diagnose)."""
        self.scanner_state = state
        if state in ("FAULT", "DISCONNECTED"):
            log.warning("scanner %s: %s", state, message)
            self.banners.show("scanner", lambda: i18n._("The scanner is not working: check its cable, "
                                                        "or call a technician."), "error")
        elif state == "READY":
            self.banners.clear("scanner")

    def show_print_result(self, result: PrintResult | None) -> None:
        """A PrintResult: a fixable banner when the slip did not print."""
        if result is None or result.printed:
            self.banners.clear("printer")
            return
        log.warning("receipt not printed: %s", result.message)
        status = getattr(result.status, "value", result.status)
        self.banners.show("printer", lambda: i18n._("Receipt not printed: ") + i18n._(printer_text(status)), "error")

    def _startup_checks(self) -> dict:
        """Every start resolves what a crash left open, with its progress on screen, then checks
        the printer (worker thread)."""
        unresolved = 0
        if self.terminal.has_pending():
            pending = self.terminal.pending_summary()
            total = pending.payments + pending.refunds
            done = [0]

            def on_item(step: str, _item: object) -> None:
                done[0] += step == "resolved"
                Clock.schedule_once(lambda _dt, n=done[0]: self._show_recovery(n, total), 0)
            Clock.schedule_once(lambda _dt: self._show_recovery(0, total), 0)
            try:
                self.terminal.recover(on_item=on_item)
            except Exception:
                log.exception("recovery at start failed")
            unresolved = len(self.terminal.notices.open_payments())
        return {"printer": self.terminal.health().printer, "unresolved": unresolved}

    def _show_recovery(self, done: int, total: int) -> None:
        self.banners.show("recovery", lambda: i18n._("Resolving earlier payments with the acquirer: "
                                                     "%(done)s of %(total)s…") % {"done": done, "total": total},
                          "info")

    def _show_startup_checks(self, checks: dict) -> None:
        printer = checks["printer"]
        if not printer.ok:
            log.warning("printer at start: %s %s", printer.status, printer.message)
            self.banners.show("printer", lambda: i18n._(printer_text(printer.status)), "error")
        if checks["unresolved"]:
            self.banners.show("recovery", lambda: i18n._("Earlier payments are still unresolved: check the network. "
                                                         "The terminal keeps trying."), "warning")
        else:
            self.banners.clear("recovery")
        self.watch.refresh()     # the count, and notices for payments that ended while closed

    # -- closing ----------------------------------------------------------------------------------
    def _request_close(self, *_args: Any, **_kwargs: Any) -> bool:
        """Closing while a payment's result is being checked: warn first (True keeps the window);
        a second close within CLOSE_CONFIRM_S quits, and the payment is resolved at the next
        start."""
        if self._checkout is None or self._checkout.state.value != "PROCESSING":
            return False
        now = self._clock()
        if self._close_warned_at is not None and now - self._close_warned_at <= CLOSE_CONFIRM_S:
            return False
        self._close_warned_at = now
        self.banners.show("closing", lambda: i18n._(
            "A payment is still being checked with the acquirer. Close again to quit anyway: "
            "it will be resolved at the next start."), "warning", timeout=CLOSE_CONFIRM_S)
        return True

    # -- idle lock --------------------------------------------------------------------------------
    def _touched(self, *_args: Any) -> None:
        self._last_touch = self._clock()

    def check_idle(self, now: float | None = None) -> bool:
        """Lock after ui.idle_lock_s without a touch, never in the middle of a sale."""
        limit = self.settings.ui.idle_lock_s
        now = self._clock() if now is None else now
        if not limit or now - self._last_touch < limit:
            return False
        if self.checkout_state != "IDLE" or self.current in SALE_FLOW or self.current == "lock":
            return False
        self.go("lock", back_to=self.current)
        return True
