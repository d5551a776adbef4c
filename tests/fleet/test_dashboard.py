"""The dashboard in a real headless browser (Debian's chromium + chromedriver, Selenium):
login required, filters, a terminal's command history, a bulk command to a group."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from fleet.store import Store, now
from fleet.web import add_user, create_app
from tests.fleet.conftest import free_port
from tests.fleet.helpers import console_for, wait_for

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
                                reason="Debian chromium + chromium-driver not installed (bootstrap.sh installs them)")


@pytest.fixture
def dashboard(broker):
    import uvicorn

    store = Store(broker.home.db)
    add_user(store, "tech", "correct horse battery")
    for i in range(6):
        tid = f"T-web-{i}"
        status = {"online": i % 3 != 0, "terminalId": tid, "serial": f"SN-{i}", "version": "0.1.0" if i < 4 else "0.2.0",
                  "keyVersion": 1, "pendingPayments": 1 if i == 2 else 0, "pendingRefunds": 0, "locked": "",
                  "sentAt": now()}
        store.record_status(tid, status, now())
        store.set_group(tid, "north" if i < 3 else "south")
    console = console_for(broker)
    app = create_app(store, secret=b"k" * 32, send=lambda ts, op, args, who: console.send_many(ts, op, args, operator=who))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="dashboard up")
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(10)
    console.stop()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def click_and_load(browser, element_id: str) -> None:
    """Click a button that loads a new page, and wait until the old page is gone (else a fast
    reader sees the previous page's rows)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, element_id).click()

    def replaced(_driver) -> bool:
        try:
            old.is_enabled()
        except WebDriverException:   # stale, or chromium's "node does not belong to the document"
            return True
        return False

    WebDriverWait(browser, 15).until(replaced)


def rows(browser) -> list[str]:
    from selenium.webdriver.common.by import By

    return sorted(r.find_element(By.TAG_NAME, "a").text for r in browser.find_elements(By.CSS_SELECTOR, "tr.terminal"))


def test_dashboard_login_filters_history_and_bulk_command(dashboard, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url, store = dashboard
    browser.get(url + "/")
    assert browser.current_url.endswith("/login")            # nothing without a login
    browser.find_element(By.ID, "user").send_keys("tech")
    browser.find_element(By.ID, "password").send_keys("wrong password!")
    click_and_load(browser, "login")
    assert "wrong user or password" in browser.page_source
    browser.find_element(By.ID, "user").send_keys("tech")
    browser.find_element(By.ID, "password").send_keys("correct horse battery")
    click_and_load(browser, "login")
    assert rows(browser) == [f"T-web-{i}" for i in range(6)]
    browser.find_element(By.ID, "f-offline").click()
    click_and_load(browser, "apply")
    assert rows(browser) == ["T-web-0", "T-web-3"]
    browser.find_element(By.ID, "f-offline").click()
    browser.find_element(By.ID, "f-unresolved").click()
    click_and_load(browser, "apply")
    assert rows(browser) == ["T-web-2"]
    browser.find_element(By.ID, "f-unresolved").click()
    Select(browser.find_element(By.ID, "f-group")).select_by_visible_text("south")
    click_and_load(browser, "apply")
    assert rows(browser) == ["T-web-3", "T-web-4", "T-web-5"]
    # bulk: one signed command per terminal of the group
    Select(browser.find_element(By.ID, "op")).select_by_visible_text("lock")
    args = browser.find_element(By.NAME, "args")
    args.clear()
    args.send_keys('{"reason": "stocktake"}')
    click_and_load(browser, "bulk-send")
    assert "lock sent to 3 terminal(s)" in browser.find_element(By.ID, "bulk-result").text
    for tid in ("T-web-3", "T-web-4", "T-web-5"):
        (cmd,) = store.commands(tid)
        assert cmd["op"] == "lock" and cmd["args"] == {"reason": "stocktake"} and cmd["operator"] == "web:tech"
    assert store.commands("T-web-0") == []
    # detail page: send one, see it in the history
    browser.get(url + "/t/T-web-1")
    Select(browser.find_element(By.ID, "op")).select_by_visible_text("diagnose")
    click_and_load(browser, "send")
    assert "sent" in browser.find_element(By.ID, "sent").text
    history = browser.find_elements(By.CSS_SELECTOR, "#history tr.command")
    assert len(history) == 1 and "diagnose" in history[0].text and "sent" in history[0].text
    # a forged form (no CSRF token) is refused
    browser.execute_script("document.querySelector('#command input[name=csrf]').value = 'x'")
    click_and_load(browser, "send")
    assert "The form expired" in browser.page_source
    assert len(store.commands("T-web-1")) == 1
