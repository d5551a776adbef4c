"""Emailed receipts over SMTP: the same slip the printer gets, as a text and an HTML body.

Why a module of its own: sending mail is slow and may fail (a down mail server, a typo in the
address) but the sale is already final by then, so nothing here touches the journal or the
money path; a failure comes back as a clear EmailError for the cashier to retry or skip.
The body is rendered from the journal's masked code only, and an address that looks like a
payment code (a code typed into the wrong field) is refused, so a raw code never leaves the
terminal in a mail. The SMTP password is read from a file in the state directory, never from
the configuration, and never logged.

With `starttls` on (the default) the mail never goes in clear: a server that does not offer
STARTTLS, or whose certificate does not verify against `ca_bundle` (else the system store) for
`host`, is refused with EMAIL_TLS, a technician's problem, so the cashier is told to print
instead of trying again. A failed send is not queued: see send().
"""
from __future__ import annotations

import html
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from .codes import looks_like_payment_code
from .config import EmailSection
from .errors import InputError, TerminalError

# Deliberately plain: one @, no spaces or angle brackets, a dotted domain. Strict in what we send.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class EmailError(TerminalError):
    """The mail was not sent; the message says why and what to do. `retry_may_help` is False
    when trying again cannot work until someone changes the configuration or the server."""

    @property
    def retry_may_help(self) -> bool:
        return self.code in ("EMAIL_FAILED", "EMAIL_REFUSED")


def check_address(address: str) -> str:
    """The customer's address, trimmed; InputError when it is not one we can send to."""
    address = (address or "").strip()
    if looks_like_payment_code(address):
        raise InputError("that looks like a payment code, not an email address: type the customer's email address",
                         code="BAD_EMAIL")
    if len(address) > 254 or not _ADDRESS.match(address):
        raise InputError(f"{address!r} is not an email address (name@example.com): check it with the customer",
                         code="BAD_EMAIL")
    return address


def build_message(*, slip: str, subject: str, sender: str, to: str) -> EmailMessage:
    """A multipart/alternative mail: the slip as text, and the same slip as preformatted HTML."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg.set_content(slip)
    msg.add_alternative(
        "<!DOCTYPE html><html><body>"
        f"<pre style=\"font-family:monospace;font-size:14px\">{html.escape(slip)}</pre>"
        "</body></html>", subtype="html")
    return msg


class ReceiptMailer:
    """Sends a rendered slip to one address through the configured SMTP server."""

    def __init__(self, settings: EmailSection, *, state_dir: Path):
        self.settings = settings
        self._password_path = Path(settings.password_file).expanduser()
        if not self._password_path.is_absolute():
            self._password_path = state_dir / self._password_path
        self._ca_bundle = Path(settings.ca_bundle).expanduser() if settings.ca_bundle else None
        if self._ca_bundle is not None and not self._ca_bundle.is_absolute():
            self._ca_bundle = state_dir / self._ca_bundle

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def _password(self) -> str:
        try:
            return self._password_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise EmailError(f"cannot read the SMTP password file {self._password_path} ({exc.strerror}): "
                             "create it in the state directory or clear email.username", code="EMAIL_CONFIG") from None

    def _tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=str(self._ca_bundle) if self._ca_bundle else None)
        except (OSError, ssl.SSLError) as exc:
            raise EmailError(f"cannot load email.ca_bundle {self._ca_bundle} ({exc}): point it at the PEM file of "
                             "the CA that signed the mail server's certificate, or clear it to use the system's",
                             code="EMAIL_CONFIG") from None

    def send(self, *, slip: str, subject: str, to: str) -> None:
        """One attempt; EmailError when not sent. Not queued for later on purpose: the customer
        is at the counter, where the screen offers Try again and Print instead, and a queue
        would keep customers' addresses on the device beside their payments long after they
        left (the journal holds nothing personal) for a mail that might arrive hours late."""
        if not self.enabled:
            raise EmailError("email receipts are not set up on this terminal (config [email] host)",
                             code="EMAIL_OFF")
        to = check_address(to)
        s = self.settings
        msg = build_message(slip=slip, subject=subject, sender=s.from_address, to=to)
        where = f"{s.host}:{s.port}"
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
                if s.starttls:
                    smtp.starttls(context=self._tls_context())
                if s.username:
                    smtp.login(s.username, self._password())
                smtp.send_message(msg)
        except EmailError:
            raise
        except smtplib.SMTPNotSupportedError:
            raise EmailError(f"the mail server {where} does not offer STARTTLS, and receipts never go in clear: "
                             "ask a technician to check email.host and email.port (587, submission); print the "
                             "receipt meanwhile", code="EMAIL_TLS") from None
        except ssl.SSLCertVerificationError as exc:
            raise EmailError(f"the mail server {where} did not prove it is {s.host} ({exc.verify_message}): "
                             "nothing was sent; ask a technician to check email.host and email.ca_bundle; print the "
                             "receipt meanwhile", code="EMAIL_TLS") from None
        except ssl.SSLError as exc:
            raise EmailError(f"TLS with the mail server {where} failed ({exc.reason or type(exc).__name__}): nothing was "
                             "sent; ask a technician to check the [email] settings; print the receipt meanwhile",
                             code="EMAIL_TLS") from None
        except smtplib.SMTPRecipientsRefused:
            raise EmailError(f"the mail server refused {to}: check the address with the customer",
                             code="EMAIL_REFUSED") from None
        except smtplib.SMTPAuthenticationError:
            raise EmailError("the mail server refused the terminal's login: check email.username and the "
                             "password file", code="EMAIL_AUTH") from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 530:     # "must issue a STARTTLS command first": starttls is off here
                raise EmailError(f"the mail server {where} requires STARTTLS: set email.starttls = true",
                                 code="EMAIL_CONFIG") from None
            raise EmailError(f"could not send the receipt through {where} ({exc.smtp_code}): try again later, "
                             "or print it", code="EMAIL_FAILED") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailError(f"could not send the receipt through {where} "
                             f"({type(exc).__name__}): try again later, or print it", code="EMAIL_FAILED") from None
