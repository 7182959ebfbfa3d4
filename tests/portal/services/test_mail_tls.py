"""The SMTP client against a real server over TLS: STARTTLS with authentication, implicit TLS, and a
relay whose certificate is not trusted (refused before any credential or message is sent)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from portal.services.mail import SmtpSender, compose
from tests.support.smtp import Inbox


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"relay", b"s3cret")
    return AuthResult(success=ok)


@contextmanager
def _relay(ca: trustme.CA, *, implicit: bool) -> Iterator[tuple[Inbox, int]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    inbox, port = Inbox(), _free_port()
    if implicit:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context,
                                authenticator=_authenticator, auth_required=True, auth_require_tls=False)
    else:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                                authenticator=_authenticator, auth_required=True)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


# aiosmtpd counts only STARTTLS as TLS for AUTH; with implicit TLS the whole session is encrypted.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_mail_goes_over_tls_with_authentication(ca: trustme.CA, tmp_path, mode: str) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with _relay(ca, implicit=mode == "tls") as (inbox, port):
        sender = SmtpSender("127.0.0.1", port, "reports@msp.test", tls=mode, username="relay",  # type: ignore[arg-type]
                            password="s3cret", ca_file=str(tmp_path / "ca.pem"))
        reply = sender.send(compose(to="ceo@contoso.test", subject="Summary", text="Score 72"))
        [mail] = inbox.wait(1)
    assert reply.startswith("250") and mail["Subject"] == "Summary"


def test_an_untrusted_relay_is_refused_before_anything_is_sent(ca: trustme.CA) -> None:
    with _relay(ca, implicit=False) as (inbox, port):
        # The system store does not know the test CA: the handshake fails before any credential is sent.
        untrusted = SmtpSender("127.0.0.1", port, "reports@msp.test", username="relay", password="s3cret")
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusted.send(compose(to="ceo@contoso.test", subject="Summary", text="Score 72"))
        assert inbox.messages == []
