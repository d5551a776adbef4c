"""The till shows the acquirer link, refuses a sale up front when the acquirer is known to be
unreachable (nothing journalled: not charged), and shows "Not sent", not "Not confirmed", for a
payment that never left the terminal."""
from __future__ import annotations

import socket

import pytest

from tests.support import acquirer_link
from tests.ui.helpers import present, start_sale, type_amount

pytestmark = pytest.mark.ui


@pytest.fixture
def acquirer_down(ui):
    link = acquirer_link(ui.app.terminal)
    saved = link._address
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]

    def down():
        link._address = ("127.0.0.1", closed)
        link.record(False)
        link.record(False)
    yield down
    link._address = saved
    link.probe()


def test_link_indicator_and_a_sale_refused_up_front_when_the_acquirer_is_down(ui, acquirer_down):
    app = ui.app
    sale = app.screens["sale"]
    acquirer_link(app.terminal).probe()
    ui.frames(2)
    ui.idle_until(lambda: "Online" in sale.ids.link.text, what="link shown online")
    before = len(app.terminal.transactions())
    acquirer_down()
    ui.idle_until(lambda: "Offline" in sale.ids.link.text, what="link shown offline")
    type_amount(ui, "500")
    ui.tap(sale.ids.charge_btn)
    ui.screen("sale")
    ui.settle()
    assert app.current == "sale"
    assert sale.message == "Cannot reach the payment network. Not charged."
    assert len(app.terminal.transactions()) == before


def test_a_payment_that_was_never_sent_says_not_sent(ui, acquirer_down):
    app = ui.app
    before = len(app.terminal.transactions())
    start_sale(ui, "650")
    acquirer_down()                                 # the link drops between Charge and the scan
    present(ui, "0000")
    ui.screen("result")
    result = app.screens["result"]
    ui.idle_until(lambda: result.kind == "not_sent", what="not sent shown")
    assert result.headline == "Not sent" and result.reason_text == "Cannot reach the payment network. Not charged."
    assert result.ids.receipt_btn.disabled
    assert len(app.terminal.transactions()) == before
