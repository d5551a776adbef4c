"""The real app, offscreen, on the embedded sandbox: one app per session (Kivy's Window is a
process-wide singleton). Kivy's environment is set here, before anything imports kivy."""
from __future__ import annotations

import os

import pytest

from tests.support import embedded_sandbox
from ui.headless import prepare_environment

prepare_environment(width=800, height=480, maxfps=0)

SLOW_S = 2.0   # the sandbox's 0098 answer delay: long enough to count frames during it


@pytest.fixture(scope="session")
def ui(tmp_path_factory):
    # The state directory goes in the configuration, not the environment: the environment
    # would leak into every test that runs after this session fixture in the same process.
    state_dir = str(tmp_path_factory.mktemp("state"))
    saved_cache = os.environ.get("POS_TERMINAL_UI_CACHE")
    os.environ["POS_TERMINAL_UI_CACHE"] = str(tmp_path_factory.mktemp("ui-cache"))
    from drivers.scanners import VirtualScanner
    from terminal.checkout import Checkout
    from terminal.config import load_config, parse_config
    from terminal.wiring import build_terminal
    from ui.app import PosApp
    from ui.headless import AppDriver

    data = load_config().model_dump(mode="json")
    data["acquirer"].update(inquiry_interval_s=0.1, inquiry_window_s=10)
    data["sandbox"]["slow_response_s"] = SLOW_S
    data["storage"]["state_dir"] = state_dir
    config = parse_config(data)
    terminal = build_terminal(config)
    checkout = Checkout(terminal=terminal)
    scanner = VirtualScanner()
    app = PosApp(terminal=terminal, checkout=checkout, scanner=scanner, demo=True, lang="en")
    driver = AppDriver(app).start()
    driver.config = config          # the configuration the terminal was built from (tests read it)
    driver.settle()
    yield driver
    driver.stop()
    terminal.close()
    if saved_cache is None:
        os.environ.pop("POS_TERMINAL_UI_CACHE", None)
    else:
        os.environ["POS_TERMINAL_UI_CACHE"] = saved_cache


@pytest.fixture(autouse=True)
def fresh(ui):
    """Each test starts on an empty sale screen in English with no banners or faults, and fails
    if the UI thread raised an error that the app's error guard swallowed."""
    ui.app.ui_errors.clear()
    yield
    app = ui.app
    errors = list(app.ui_errors)
    embedded_sandbox(app.terminal).reset_faults()
    ui.idle_until(lambda: app.checkout.state.value != "PROCESSING", what="sale finished")
    if app.checkout.state.value == "AWAITING_SCAN":
        app.checkout.cancel()
    app.checkout.acknowledge()
    ui.settle()
    app.set_language("en")
    for key in list(app.banners.texts()):
        app.banners.clear(key)
    app.go("sale", clear=True)
    ui.frames(2)
    errors += app.ui_errors
    app.ui_errors.clear()
    assert not errors, f"uncaught UI-thread errors: {errors!r}"
