"""Sign-in, sessions and sign-out, over the definer functions of migration 0004.

A session is a random token (32 bytes, URL-safe) in an HttpOnly cookie; the database keeps only its
sha256, so a copy of the table opens nobody's session. Every sign-in makes a new token, so a token
planted before sign-in (session fixation) is never the signed-in one, and sign-out revokes it.

Throttling counts failures per account at an address (5 in 15 minutes) and per address (20 in 15
minutes). A key over its limit waits until its oldest counted failure leaves the window, never
longer: nobody is locked out for good, and failures from an attacker's address do not lock the
account's owner out at theirs (distributed guessing of one account is slowed by argon2id and,
with issue 7's second factor, stopped by TOTP).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from portal.db.engine import scope_key_of
from portal.db.models import Role
from portal.db.scope import Scope, sign_fields
from portal.db.uow import unit_of_work
from portal.services.accounts._access import MembershipView
from portal.services.accounts._passwords import Passwords
from portal.services.audit import record_event
from portal.services.errors import PortalError

__all__ = [
    "SESSION_LIFETIME",
    "InvalidCredentials",
    "Organisation",
    "SecondFactorRequired",
    "SignInThrottled",
    "SignedIn",
    "create_session",
    "current_session",
    "record_failed_sign_in",
    "record_failure",
    "second_factor_ticket",
    "session_signature",
    "sign_in",
    "sign_out",
]

log = logging.getLogger(__name__)

#: How long a session lasts from sign-in.
SESSION_LIFETIME = dt.timedelta(hours=12)
#: Failures counted per key, within the window.
ACCOUNT_AT_ADDRESS_LIMIT = 5
ADDRESS_LIMIT = 20
THROTTLE_WINDOW_S = 15 * 60
_ROLE_LABELS = {Role.MSP_ADMIN: "MSP admin", Role.MSP_ANALYST: "MSP analyst", Role.CUSTOMER_ADMIN: "customer admin",
                Role.CUSTOMER_VIEWER: "customer viewer"}


class SignInThrottled(PortalError):
    """Too many failed sign-ins for this account at this address, or from this address."""

    def __init__(self, wait_s: int) -> None:
        super().__init__(f"too many failed sign-ins: try again in {wait_s} seconds")
        self.wait_s = wait_s


class InvalidCredentials(PortalError):
    """The email or the password is wrong (which one is not said)."""


@dataclass(frozen=True)
class Organisation:
    """One place a user works: an MSP (MSP roles) or one customer of an MSP (customer roles)."""

    membership: MembershipView
    msp_name: str
    customer_name: str | None
    #: Held by the platform operator (migration 0025): the whole MSP, or this customer.
    msp_suspended: bool = False
    customer_held: bool = False

    @property
    def key(self) -> str:
        """A stable identifier for the organisation switcher."""
        m = self.membership
        return f"{m.msp_id}:{m.customer_id}" if m.customer_id else str(m.msp_id)

    @property
    def label(self) -> str:
        return f"{self.customer_name} ({self.msp_name})" if self.customer_name else self.msp_name

    @property
    def role_label(self) -> str:
        return _ROLE_LABELS[self.membership.role]


@dataclass(frozen=True)
class SignedIn:
    """The user behind a valid session, with every organisation they belong to."""

    user_id: uuid.UUID
    email: str
    display_name: str
    is_platform_operator: bool
    expires_at: dt.datetime
    organisations: tuple[Organisation, ...]


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def session_signature(key: bytes, user_id: uuid.UUID, token_hash: bytes, expires_epoch: int) -> str:
    """What ``posture_create_session`` checks."""
    return sign_fields(key, ["session", str(user_id), token_hash.hex(), str(expires_epoch)])


def record_failure(connection: Connection, key: bytes, keys: list[str]) -> None:
    """Count one failure on each of ``keys`` (a signed call: nothing else may count or clear them)."""
    connection.execute(text("SELECT posture_record_sign_in_failure(:k, :s)"),
                       {"k": keys, "s": sign_fields(key, ["throttle-count", *keys])})


def record_failed_sign_in(connection: Connection, key: bytes, user_id: uuid.UUID, *, address: str,
                          step: str) -> None:
    """Put a known account's failed sign-in (``step``: "password" or "second factor") on record in the
    audit trail of each of its organisations (migration 0010)."""
    epoch = int(dt.datetime.now(dt.UTC).timestamp())
    connection.execute(text("SELECT posture_record_failed_sign_in(:u, :a, :t, :e, :s)"), {
        "u": user_id, "a": address, "t": step, "e": epoch,
        "s": sign_fields(key, ["failed-sign-in", str(user_id), address, step, str(epoch)])})


def _keys(email: str, address: str) -> list[str]:
    return [f"account:{email.strip().lower()}|address:{address}", f"address:{address}"]


def sign_in(engine: Engine, email: str, password: str, *, address: str,
            now: dt.datetime | None = None) -> tuple[str, dt.datetime]:
    """Check ``email`` and ``password``; on success, a new session's token and expiry.

    Returns:
        ``(token, expires_at)``, or raises. A wrong email and a wrong password are the same failure.

    Raises:
        SignInThrottled: too many recent failures for this account at this address, or this address.
        InvalidCredentials: the email or the password is wrong.
        SecondFactorRequired: the password is right and the user has a second factor: its ``ticket``
            goes to :func:`portal.services.accounts.complete_second_factor` with a code.
    """
    key = scope_key_of(engine)
    passwords = Passwords(key)
    keys = _keys(email, address)
    with engine.begin() as connection:
        wait_s = connection.execute(text("SELECT posture_sign_in_wait_s(:k, :l, :w)"), {
            "k": keys, "l": [ACCOUNT_AT_ADDRESS_LIMIT, ADDRESS_LIMIT], "w": THROTTLE_WINDOW_S}).scalar_one()
    if wait_s > 0:
        raise SignInThrottled(int(wait_s))
    with engine.begin() as connection:
        found = connection.execute(text("SELECT user_id, password_hash, totp_enabled "
                                        "FROM posture_password_candidate(:e)"), {"e": email.strip()}).one_or_none()
    # verify() runs argon2 even without a hash: an unknown email answers as slowly as a wrong password.
    matches = passwords.verify(found.password_hash if found is not None else None, password)
    if found is None or not matches:
        with engine.begin() as connection:
            record_failure(connection, key, keys)
            if found is not None:
                record_failed_sign_in(connection, key, found.user_id, address=address, step="password")
        log.warning("sign-in failed", extra={"address": address, "known_account": found is not None})
        raise InvalidCredentials("the email or the password is not right")
    with engine.begin() as connection:
        connection.execute(text("SELECT posture_clear_sign_in_failures(:k, :s)"),
                           {"k": keys, "s": sign_fields(key, ["throttle-clear", *keys])})
    if found.totp_enabled:
        raise SecondFactorRequired(second_factor_ticket(key, found.user_id, now))
    return create_session(engine, found.user_id, address=address, now=now)


def create_session(engine: Engine, user_id: uuid.UUID, *, address: str,
                   now: dt.datetime | None = None) -> tuple[str, dt.datetime]:
    """A new session for a user whose sign-in succeeded (every factor checked): token and expiry."""
    key = scope_key_of(engine)
    token = secrets.token_urlsafe(32)
    expires = (now or dt.datetime.now(dt.UTC)) + SESSION_LIFETIME
    epoch = int(expires.timestamp())
    token_hash = _token_hash(token)
    with engine.begin() as connection:
        connection.execute(text("SELECT posture_create_session(:u, :h, :e, :a, :s)"), {
            "u": user_id, "h": token_hash, "e": epoch, "a": address,
            "s": session_signature(key, user_id, token_hash, epoch)})
    _audit_sign_in(engine, token, address)
    return token, dt.datetime.fromtimestamp(epoch, dt.UTC)


class SecondFactorRequired(PortalError):
    """The password was right; a code from the user's app comes next (``ticket`` carries them there)."""

    def __init__(self, ticket: str) -> None:
        super().__init__("enter the code from your authenticator app")
        self.ticket = ticket


#: How long the second step of a sign-in may take.
TICKET_LIFETIME = dt.timedelta(minutes=5)


def ticket_signature(key: bytes, user_id: uuid.UUID, expires_epoch: int) -> str:
    """What ``posture_totp_for_sign_in`` and ``posture_totp_use`` check (migration 0007)."""
    return sign_fields(key, ["second-factor", str(user_id), str(expires_epoch)])


def second_factor_ticket(key: bytes, user_id: uuid.UUID, now: dt.datetime | None = None) -> str:
    """A ticket for the second step of ``user_id``'s sign-in, valid for ``TICKET_LIFETIME``."""
    expires = int(((now or dt.datetime.now(dt.UTC)) + TICKET_LIFETIME).timestamp())
    return f"{user_id}.{expires}.{ticket_signature(key, user_id, expires)}"


def _audit_sign_in(engine: Engine, token: str, address: str) -> None:
    """Record the sign-in in the audit trail of every organisation the user belongs to.

    A failed one is recorded by :func:`record_failed_sign_in` when the account exists; an unknown
    email belongs to no organisation and is only logged.
    """
    session = current_session(engine, token)
    if session is None:
        return
    for organisation in session.organisations:
        membership = organisation.membership
        scope = Scope.for_msp(membership.msp_id, actor=session.email)
        with unit_of_work(engine, scope) as uow:
            record_event(uow, customer_id=membership.customer_id, action="account.signed_in",
                         target=f"user:{session.user_id}", details={"address": address})


def current_session(engine: Engine, token: str | None) -> SignedIn | None:
    """The signed-in user for a session token, or None (no token, unknown, expired or revoked)."""
    if not token:
        return None
    token_hash = _token_hash(token)
    with engine.begin() as connection:
        user = connection.execute(text("SELECT * FROM posture_session_user(:h)"), {"h": token_hash}).one_or_none()
        if user is None:
            return None
        rows = connection.execute(text("SELECT * FROM posture_session_memberships(:h)"), {"h": token_hash}).all()
    organisations = tuple(
        Organisation(MembershipView(msp_id=r.msp_id, role=Role(r.role), customer_id=r.customer_id,
                                    tags=frozenset(r.tags or ())), r.msp_name, r.customer_name,
                     bool(r.msp_suspended), bool(r.customer_held))
        for r in rows)
    return SignedIn(user.user_id, user.email, user.display_name, user.is_platform_operator, user.expires_at,
                    organisations)


def sign_out(engine: Engine, token: str | None) -> None:
    """Revoke the session of ``token`` (no-op for no token or an unknown one)."""
    if token:
        with engine.begin() as connection:
            connection.execute(text("SELECT posture_revoke_session(:h)"), {"h": _token_hash(token)})
