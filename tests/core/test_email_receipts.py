"""Emailed receipts through a real local SMTP server (aiosmtpd on a free loopback port), and the
refund reason reaching the acquirer. The terminal runs on the embedded sandbox."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest

from terminal.config import EmailSection, load_config, parse_config
from terminal.demo_codes import code_for
from terminal.email_receipts import EmailError, check_address
from terminal.errors import InputError
from terminal.money import Money
from tests.support import embedded_sandbox

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.mails: list = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    ctl = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=free_port())
    ctl.start()
    yield ctl, inbox
    ctl.stop()


@pytest.fixture
def terminal(tmp_path, smtp):
    from terminal.wiring import build_terminal

    ctl, _ = smtp
    data = load_config().model_dump(mode="json")
    data["storage"]["state_dir"] = str(tmp_path / "state")
    data["email"] = {"host": "127.0.0.1", "port": ctl.port, "starttls": False, "from_address": "till@shop.example"}
    t = build_terminal(parse_config(data))
    yield t
    t.close()


def test_receipt_email_has_the_slip_as_text_and_html_and_never_the_raw_code(terminal, smtp):
    _, inbox = smtp
    code = code_for("00")
    tx = terminal.sale(Money("USD", 1250), code)
    assert tx.state.value == "APPROVED"
    terminal.receipts.email(tx, "  Ann@Example.org ")
    (rcpt, mail), = inbox.mails
    assert rcpt == ["Ann@Example.org"] and mail["From"] == "till@shop.example"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    def lines(t):
        return [line.rstrip() for line in t.strip().splitlines()]
    assert lines(text) == lines(terminal.receipts.text(tx))
    assert tx.masked_code in text and tx.masked_code in html and "APPROVED" in html
    assert code not in mail.as_string()


def test_bad_addresses_are_refused_before_anything_is_sent(terminal, smtp):
    _, inbox = smtp
    tx = terminal.sale(Money("USD", 300), code_for("00"))
    for bad in ("ann", "ann@", "a b@x.org", "<x@y.org>", code_for("00"), code_for("00") + "@x.org"):
        with pytest.raises(InputError):
            terminal.receipts.email(tx, bad)
    assert inbox.mails == []
    assert check_address("ann.lee+r@mail.example.co") == "ann.lee+r@mail.example.co"


def test_a_down_mail_server_is_a_clear_error_not_a_crash(terminal):
    from terminal.email_receipts import ReceiptMailer

    tx = terminal.sale(Money("USD", 300), code_for("00"))
    settings = EmailSection(host="127.0.0.1", port=free_port(), starttls=False,      # nobody listens there
                            from_address="till@shop.example")
    terminal.receipts._mailer = ReceiptMailer(settings, state_dir=terminal.settings.state_dir)   # white-box
    with pytest.raises(EmailError) as err:
        terminal.receipts.email(tx, "ann@example.org")
    assert "try again later, or print it" in err.value.message


def test_email_section_needs_a_sender_when_on():
    from terminal.errors import FaultError

    with pytest.raises(FaultError, match="from_address"):
        parse_config({"email": {"host": "smtp.example"}})


def test_refund_reason_reaches_the_acquirer(terminal):
    tx = terminal.sale(Money("USD", 900), code_for("00"))
    from terminal.refund_reasons import refund_reason

    refund = terminal.refund(tx.id, Money("USD", 400), pin="1234", reason=refund_reason("damaged"))
    assert refund.state == "SUCCESS"
    row = embedded_sandbox(terminal).ctx.store.one("SELECT reason FROM refunds WHERE refund_request_id = ?",
                                          refund.refund_request_id)
    assert row["reason"] == "Damaged item"


# -- STARTTLS: a test CA and server certificate made here (sandbox/tls.ensure_tls), aiosmtpd
# requiring STARTTLS before MAIL, as a submission server does.

class TlsInbox(Inbox):
    async def handle_DATA(self, server, session, envelope):
        self.tls_sessions = getattr(self, "tls_sessions", []) + [session.ssl is not None]
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def tls_smtp(tmp_path):
    import ssl

    from sandbox.tls import ensure_tls

    files = ensure_tls(tmp_path / "mail-ca")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.server_cert, files.server_key)
    inbox = TlsInbox()
    ctl = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
                              require_starttls=True)
    ctl.start()
    yield ctl, inbox, files
    ctl.stop()


def _mailer(terminal, **email):
    from terminal.email_receipts import ReceiptMailer

    settings = terminal.upkeep.configuration().email.model_copy(update=email)
    terminal.receipts._mailer = ReceiptMailer(settings, state_dir=terminal.settings.state_dir)   # white-box


def test_starttls_with_the_servers_ca_delivers_over_tls(terminal, tls_smtp):
    ctl, inbox, files = tls_smtp
    _mailer(terminal, port=ctl.port, starttls=True, ca_bundle=str(files.ca_cert))
    tx = terminal.sale(Money("USD", 800), code_for("00"))
    terminal.receipts.email(tx, "ann@example.org")
    assert [rcpt for rcpt, _ in inbox.mails] == [["ann@example.org"]] and inbox.tls_sessions == [True]


def test_a_certificate_from_another_ca_is_refused_and_nothing_is_sent(terminal, tls_smtp, tmp_path):
    from sandbox.tls import ensure_tls

    ctl, inbox, _ = tls_smtp
    other = ensure_tls(tmp_path / "another-ca")          # the terminal trusts a CA that did not sign it
    _mailer(terminal, port=ctl.port, starttls=True, ca_bundle=str(other.ca_cert))
    tx = terminal.sale(Money("USD", 800), code_for("00"))
    with pytest.raises(EmailError) as err:
        terminal.receipts.email(tx, "ann@example.org")
    assert err.value.code == "EMAIL_TLS" and not err.value.retry_may_help
    assert f"127.0.0.1:{ctl.port} did not prove it is 127.0.0.1" in err.value.message
    assert "certificate verify failed" in err.value.message or "unable to get local issuer" in err.value.message
    assert "check email.host and email.ca_bundle" in err.value.message and "print" in err.value.message
    assert inbox.mails == []


def test_a_server_without_starttls_is_refused_when_starttls_is_on(terminal, smtp):
    ctl, inbox = smtp                                    # the plain server of the tests above
    _mailer(terminal, port=ctl.port, starttls=True)
    tx = terminal.sale(Money("USD", 800), code_for("00"))
    with pytest.raises(EmailError) as err:
        terminal.receipts.email(tx, "ann@example.org")
    assert err.value.code == "EMAIL_TLS" and "does not offer STARTTLS" in err.value.message
    assert inbox.mails == []


def test_starttls_off_against_a_server_that_requires_it_says_so(terminal, tls_smtp):
    ctl, inbox, _ = tls_smtp
    _mailer(terminal, port=ctl.port, starttls=False)
    tx = terminal.sale(Money("USD", 800), code_for("00"))
    with pytest.raises(EmailError) as err:
        terminal.receipts.email(tx, "ann@example.org")
    assert err.value.code == "EMAIL_CONFIG" and "set email.starttls = true" in err.value.message
    assert inbox.mails == []
