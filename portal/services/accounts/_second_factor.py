"""The second factor: TOTP (RFC 6238, 30-second steps, six digits) with ten one-time recovery codes.

Setting it up: :func:`begin_totp` makes a secret and stores it encrypted, not yet in force;
:func:`confirm_totp` turns it on once the user typed a code from their app, and hands out the
recovery codes (shown once, kept as sha256 hashes). At sign-in, a user with a second factor gets
a short-lived ticket instead of a session after the password (:class:`SecondFactorRequired`);
:func:`complete_second_factor` trades the ticket and a code (or a recovery code) for a session.

The ticket is ``user.expiry.signature`` with the scope key, as sessions are minted: the database
releases the secret and spends codes only against it (migration 0007). A code's time step is
recorded, so a code cannot be used twice; codes of the step before and after are accepted for clock
drift. Code attempts are throttled per user like passwords (5 in 15 minutes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid

import pyotp
from sqlalchemy import Engine, text

from portal.db.engine import scope_key_of
from portal.db.uow import UnitOfWork
from portal.services.accounts._sessions import (
    SignInThrottled,
    create_session,
    record_failed_sign_in,
    record_failure,
    ticket_signature,
)
from portal.services.errors import InvalidInput
from portal.services.sealing import seal, unseal

__all__ = ["RECOVERY_CODES", "begin_totp", "complete_second_factor", "confirm_totp", "staff_needs_second_factor",
           "totp_enabled"]

RECOVERY_CODES = 10
_ATTEMPTS = 5
_WINDOW_S = 15 * 60
_ISSUER = "M365 posture"


def _encrypt(key: bytes, secret: str) -> bytes:
    # The derivation and associated data of migration 0007's rows, so secrets sealed then still open.
    return seal(key, "totp", secret, version="secret v1", associated=b"totp")


def _decrypt(key: bytes, sealed: bytes) -> str:
    return unseal(key, "totp", sealed, version="secret v1", associated=b"totp")


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def totp_enabled(uow: UnitOfWork) -> bool:
    """Whether the scope's user has a second factor in force."""
    row = uow.session.execute(text("SELECT enabled FROM posture_totp_state()")).one_or_none()
    return bool(row and row.enabled)


def begin_totp(uow: UnitOfWork, engine: Engine, *, email: str) -> tuple[str, str]:
    """A new secret for the scope's user (not yet in force): the key to type in and the otpauth:// URI."""
    secret = pyotp.random_base32()
    uow.session.execute(text("SELECT posture_totp_set_pending(:s)"), {"s": _encrypt(scope_key_of(engine), secret)})
    return secret, pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=_ISSUER)


def confirm_totp(uow: UnitOfWork, engine: Engine, code: str) -> list[str]:
    """Turn the pending secret on with a code from the app; returns the recovery codes (shown once).

    Raises:
        InvalidInput: no pending secret, or the code does not match it.
    """
    row = uow.session.execute(text("SELECT enabled, secret FROM posture_totp_state()")).one_or_none()
    if row is None or row.secret is None or row.enabled:
        raise InvalidInput("start the set-up first")
    if not pyotp.TOTP(_decrypt(scope_key_of(engine), bytes(row.secret))).verify(code.strip(), valid_window=1):
        raise InvalidInput("that code does not match: check the time on your device and try the next code")
    codes = ["-".join(secrets.token_hex(5)[i:i + 5] for i in (0, 5)) for _ in range(RECOVERY_CODES)]
    uow.session.execute(text("SELECT posture_totp_enable(:h)"), {"h": [_code_hash(c) for c in codes]})
    return codes


def complete_second_factor(engine: Engine, ticket: str, code: str, *, address: str,
                           now: dt.datetime | None = None) -> tuple[str, dt.datetime]:
    """A session for the ticket's user, given a current code or an unused recovery code.

    Raises:
        InvalidInput: an expired or malformed ticket, or a wrong or spent code.
        SignInThrottled: too many wrong codes for this user lately.
    """
    key = scope_key_of(engine)
    try:
        user_text, expires_text, signature = ticket.split(".")
        user_id, expires = uuid.UUID(user_text), int(expires_text)
    except ValueError:
        raise InvalidInput("sign in again") from None
    moment = now or dt.datetime.now(dt.UTC)
    if expires < moment.timestamp() or not hmac.compare_digest(signature, ticket_signature(key, user_id, expires)):
        raise InvalidInput("that took too long: sign in again")
    keys = [f"totp:{user_id}"]
    params = {"u": user_id, "e": expires, "s": signature}
    with engine.begin() as connection:
        wait_s = connection.execute(text("SELECT posture_sign_in_wait_s(:k, :l, :w)"),
                                    {"k": keys, "l": [_ATTEMPTS], "w": _WINDOW_S}).scalar_one()
        if wait_s > 0:
            raise SignInThrottled(int(wait_s))
        row = connection.execute(text("SELECT * FROM posture_totp_for_sign_in(:u, :e, :s)"), params).one_or_none()
    accepted = row is not None and _spend(engine, row, code, params, key, moment)
    if not accepted:
        with engine.begin() as connection:
            record_failure(connection, key, keys)
            record_failed_sign_in(connection, key, user_id, address=address, step="second factor")
        raise InvalidInput("that code is not right (or was used already)")
    return create_session(engine, user_id, address=address, now=moment)


def _spend(engine: Engine, row: object, code: str, params: dict[str, object], key: bytes,
           moment: dt.datetime) -> bool:
    code = code.strip()
    recovery = None
    step = None
    if code.isdigit() and len(code) == 6:
        totp = pyotp.TOTP(_decrypt(key, bytes(row.secret)))  # type: ignore[attr-defined]
        now_step = int(moment.timestamp()) // totp.interval
        step = next((s for s in (now_step - 1, now_step, now_step + 1)
                     if hmac.compare_digest(totp.at(s * totp.interval), code)), None)
        if step is None:
            return False
    else:
        recovery = _code_hash(code)
    with engine.begin() as connection:
        return bool(connection.execute(text("SELECT posture_totp_use(:u, :step, :r, :e, :s)"),
                                       {**params, "step": step or 0, "r": recovery}).scalar_one())


def staff_needs_second_factor(engine: Engine, session_token: str | None) -> bool:
    """Whether the session's user is MSP staff of an MSP that requires a second factor, and has none."""
    if not session_token:
        return False
    with engine.begin() as connection:
        return bool(connection.execute(text("SELECT posture_staff_needs_totp(:h)"),
                                       {"h": hashlib.sha256(session_token.encode()).digest()}).scalar_one())
