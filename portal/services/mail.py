"""Outgoing mail: one small SMTP sender, built from settings, that everything that mails uses.

Sign-in mails (password reset now, invitations next) and, later, the scheduled report summaries go
through :class:`SmtpSender`. TLS is ``starttls`` (port 587, the default), ``tls`` (implicit, 465) or
``none`` (a local relay or the demo's sink on loopback); certificates are verified against the system
store. The password comes from the settings (a secrets-dir file in production) and never reaches a log.
Tests run a real SMTP server (aiosmtpd) on loopback.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal, Protocol

__all__ = ["MailSender", "SmtpSender", "TlsMode", "compose"]

log = logging.getLogger(__name__)

TlsMode = Literal["starttls", "tls", "none"]


class MailSender(Protocol):
    """Send one message (raises ``OSError`` or ``smtplib.SMTPException`` when it could not)."""

    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpSender:
    """An SMTP client for one relay.

    Attributes:
        host, port: the relay.
        tls: ``starttls``, ``tls`` or ``none``.
        username, password: for relays that require authentication (both or neither).
        sender: the From address.
        timeout_s: connection and command timeout, in seconds.
    """

    host: str
    port: int
    sender: str
    tls: TlsMode = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 15.0

    def send(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.sender
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        with smtp:
            if self.tls == "starttls":
                smtp.starttls(context=context)
            if self.username and self.password:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
        log.info("mail sent", extra={"subject": message["Subject"], "relay": self.host})


def compose(*, to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text message (HTML mails arrive with the branded summaries)."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    return message
