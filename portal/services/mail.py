"""Outgoing mail: one small SMTP sender, built from settings, that everything that mails uses.

Sign-in mails, alerts and the scheduled report summaries go through :class:`SmtpSender`. TLS is
``starttls`` (port 587, the default), ``tls`` (implicit, 465) or ``none`` (a local relay or the demo's
sink on loopback); certificates are verified against the system store. The password comes from the
settings (a secrets-dir file in production) and never reaches a log. Tests run a real SMTP server
(aiosmtpd) on loopback.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal, Protocol

__all__ = ["MailSender", "SmtpSender", "TlsMode", "compose", "smtp_failure"]

log = logging.getLogger(__name__)

TlsMode = Literal["starttls", "tls", "none"]


class MailSender(Protocol):
    """Send one message; returns the relay's reply, for a delivery log (None: the sender has none).
    Raises ``OSError`` (``smtplib.SMTPException`` is one) when it could not."""

    def send(self, message: EmailMessage) -> str | None: ...


class _KeepsReply:
    """smtplib drops the relay's answer to the message (``250 2.0.0 queued as 4F2A``); this keeps it."""

    reply = ""

    def data(self, msg):  # type: ignore[no-untyped-def]
        code, answer = super().data(msg)  # type: ignore[misc]
        self.reply = f"{code} {answer.decode('utf-8', 'replace') if isinstance(answer, bytes) else answer}"
        return code, answer


class _Smtp(_KeepsReply, smtplib.SMTP):
    pass


class _SmtpSsl(_KeepsReply, smtplib.SMTP_SSL):
    pass


@dataclass(frozen=True)
class SmtpSender:
    """An SMTP client for one relay.

    Attributes:
        host, port: the relay.
        tls: ``starttls``, ``tls`` or ``none``.
        username, password: for relays that require authentication (both or neither).
        sender: the From address.
        timeout_s: connection and command timeout, in seconds.
        ca_file: extra CA certificates (PEM) trusted for the relay on top of the system store (a
            relay with an internal CA).
    """

    host: str
    port: int
    sender: str
    tls: TlsMode = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 15.0
    ca_file: str | None = None

    def send(self, message: EmailMessage) -> str:
        if "From" not in message:
            message["From"] = self.sender
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=self.ca_file)
        smtp: _Smtp | _SmtpSsl
        if self.tls == "tls":
            smtp = _SmtpSsl(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            smtp = _Smtp(self.host, self.port, timeout=self.timeout_s)
        with smtp:
            if self.tls == "starttls":
                smtp.starttls(context=context)
            if self.username and self.password:
                smtp.login(self.username, self.password)
            # The envelope sender is ours, whatever From says (a branded summary's From is the MSP's name).
            smtp.send_message(message, from_addr=self.sender)
        log.info("mail sent", extra={"subject": message["Subject"], "relay": self.host})
        return smtp.reply[:500]


def compose(*, to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text message (HTML mails arrive with the branded summaries)."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    return message


def smtp_failure(exc: OSError) -> tuple[int | None, str, bool]:
    """What a failed send means: (the relay's code, the error for a log, whether to try again).

    A 4xx reply is temporary (greylisting, a full queue: RFC 5321 §4.2.1) and so is a relay that could
    not be reached; a 5xx reply is final. A refused recipient carries its code per address.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, answer = next(iter(exc.recipients.values()))
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
        return code, f"{code} {text}"[:500], code < 500
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return exc.smtp_code, f"{exc.smtp_code} {text}"[:500], exc.smtp_code < 500
    return None, f"{type(exc).__name__}: {exc}"[:500], True
