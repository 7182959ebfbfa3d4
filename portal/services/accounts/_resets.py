"""Forgotten passwords: a single-use link by mail, valid for an hour; and changing one's password.

Asking for a link answers the same whether or not the address has an account (no enumeration), and
is throttled per address and per email (3 requests in 15 minutes). The link's token is random; the
database keeps its sha256 and accepts the request only with the application's signature (migration
0006). Setting a new password, by link or signed in, ends every session of the user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import smtplib

from sqlalchemy import Engine, text

from portal.db.engine import scope_key_of
from portal.db.scope import sign_fields
from portal.db.uow import UnitOfWork
from portal.services.accounts._passwords import Passwords
from portal.services.accounts._sessions import SignInThrottled, record_failure
from portal.services.errors import InvalidInput
from portal.services.mail import MailSender, compose

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "RESET_LIFETIME", "change_password", "check_new_password",
           "complete_password_reset", "request_password_reset", "reset_signature"]

log = logging.getLogger(__name__)

RESET_LIFETIME = dt.timedelta(hours=1)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
_REQUESTS_PER_WINDOW = 3
_WINDOW_S = 15 * 60


def reset_signature(key: bytes, email: str, token_hash: bytes, expires_epoch: int) -> str:
    """What ``posture_request_password_reset`` checks."""
    return sign_fields(key, ["reset", email.strip().lower(), token_hash.hex(), str(expires_epoch)])


def check_new_password(password: str) -> None:
    """Raises ``InvalidInput`` for a password too short or too long."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"choose a password of at least {MIN_PASSWORD_LENGTH} characters")


def request_password_reset(engine: Engine, email: str, *, address: str, mailer: MailSender | None,
                           link_base: str, now: dt.datetime | None = None) -> None:
    """Mail a reset link to ``email`` if it has an account; the same outcome for the caller either way.

    Raises:
        SignInThrottled: too many requests for this email, or from this address.
        RuntimeError: the portal has no mail relay configured (``POSTURE_SMTP_HOST``).
    """
    if mailer is None:
        raise RuntimeError("this portal sends no mail: set POSTURE_SMTP_HOST to enable password resets")
    email = email.strip()
    keys = [f"reset:{email.lower()}", f"reset-address:{address}"]
    with engine.begin() as connection:
        wait_s = connection.execute(text("SELECT posture_sign_in_wait_s(:k, :l, :w)"), {
            "k": keys, "l": [_REQUESTS_PER_WINDOW, _REQUESTS_PER_WINDOW * 5], "w": _WINDOW_S}).scalar_one()
        if wait_s > 0:
            raise SignInThrottled(int(wait_s))
        record_failure(connection, scope_key_of(engine), keys)
    token = secrets.token_urlsafe(32)
    token_hash = hashlib.sha256(token.encode()).digest()
    expires = int(((now or dt.datetime.now(dt.UTC)) + RESET_LIFETIME).timestamp())
    with engine.begin() as connection:
        to = connection.execute(text("SELECT posture_request_password_reset(:e, :h, :x, :s)"), {
            "e": email, "h": token_hash, "x": expires,
            "s": reset_signature(scope_key_of(engine), email, token_hash, expires)}).scalar_one()
    if to is None:
        return
    try:
        mailer.send(compose(to=to, subject="Reset your password", text=(
        "Someone, hopefully you, asked to reset the password of your M365 posture account.\n\n"
        f"Choose a new password here within the hour: {link_base.rstrip('/')}/password-reset/{token}\n\n"
        "If it was not you, ignore this mail: your password stays as it is.\n")))
    except (OSError, smtplib.SMTPException):
        # The same answer as for an unknown address: a failure here must not tell who has an account.
        log.error("the password reset mail could not be sent", exc_info=True)


def complete_password_reset(engine: Engine, token: str, new_password: str) -> bool:
    """Set a new password with a reset link's token; False when the link is unknown, used or expired.

    Raises:
        InvalidInput: the new password is too short or too long.
    """
    check_new_password(new_password)
    new_hash = Passwords(scope_key_of(engine)).hash(new_password)
    with engine.begin() as connection:
        return bool(connection.execute(text("SELECT posture_complete_password_reset(:h, :p)"), {
            "h": hashlib.sha256(token.encode()).digest(), "p": new_hash}).scalar_one())


def change_password(uow: UnitOfWork, engine: Engine, *, email: str, current: str, new: str) -> None:
    """The scope's user changes their password (knowing the current one); every session of theirs ends.

    Raises:
        InvalidInput: the current password is wrong, or the new one too short or too long.
    """
    passwords = Passwords(scope_key_of(engine))
    stored = uow.session.execute(text("SELECT password_hash FROM posture_password_candidate(:e)"),
                                 {"e": email}).scalar_one_or_none()
    if not passwords.verify(stored, current):
        raise InvalidInput("the current password is not right")
    check_new_password(new)
    uow.session.execute(text("SELECT posture_change_password(:h)"), {"h": passwords.hash(new)})
