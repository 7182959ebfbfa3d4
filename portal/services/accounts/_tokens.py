"""Personal API tokens: made once and shown once, kept as a sha256, acting as one membership.

A token is ``pst_`` and 43 URL-safe characters (32 random bytes). The database keeps its sha256
(migration 0005), so a copy of the table opens nothing. A token acts with the rights of the
membership it was made in, read only unless made read-write, and stops at its expiry, at revocation,
or when the membership is removed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.db.uow import UnitOfWork
from portal.services.accounts._access import MembershipView
from portal.services.errors import InvalidInput

__all__ = ["MAX_TOKEN_DAYS", "TOKEN_PREFIX", "TokenCaller", "TokenInfo", "create_token", "list_tokens",
           "revoke_token", "token_caller"]

TOKEN_PREFIX = "pst_"
#: Longest lifetime of a token, in days.
MAX_TOKEN_DAYS = 365


@dataclass(frozen=True)
class TokenCaller:
    """Who a valid token acts as."""

    token_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    display_name: str
    read_write: bool
    membership: MembershipView


@dataclass(frozen=True)
class TokenInfo:
    """A token as its owner sees it in the list (never the token itself)."""

    id: uuid.UUID
    name: str
    read_write: bool
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def create_token(uow: UnitOfWork, *, name: str, read_write: bool, days: int,
                 customer_id: uuid.UUID | None = None, now: dt.datetime | None = None) -> tuple[uuid.UUID, str]:
    """Make a token for the scope's user in the scope's MSP (and ``customer_id`` for a customer role).

    Returns:
        The token's id and the token, which is never shown again.

    Raises:
        InvalidInput: a name that is empty or too long, or a lifetime outside 1 to ``MAX_TOKEN_DAYS`` days.
    """
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("give the token a name of 1 to 100 characters")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"a token lasts 1 to {MAX_TOKEN_DAYS} days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = int(((now or dt.datetime.now(dt.UTC)) + dt.timedelta(days=days)).timestamp())
    token_id = uow.session.execute(text("SELECT posture_create_api_token(:h, :n, :rw, :e, :c)"), {
        "h": _hash(token), "n": name, "rw": read_write, "e": expires, "c": customer_id}).scalar_one()
    return token_id, token


def token_caller(engine: Engine, token: str) -> TokenCaller | None:
    """Who ``token`` acts as; None when it is unknown, expired, revoked or its membership is gone."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with engine.begin() as connection:
        row = connection.execute(text("SELECT * FROM posture_api_token(:h)"), {"h": _hash(token)}).one_or_none()
    if row is None:
        return None
    membership = MembershipView(msp_id=row.msp_id, role=Role(row.role), customer_id=row.customer_id,
                                tags=frozenset(row.tags or ()))
    return TokenCaller(row.token_id, row.user_id, row.email, row.display_name, row.read_write, membership)


def list_tokens(uow: UnitOfWork) -> list[TokenInfo]:
    """The scope's user's tokens, newest first."""
    rows = uow.session.execute(text("SELECT * FROM posture_my_api_tokens()")).all()
    return [TokenInfo(r.id, r.name, r.read_write, r.created_at, r.expires_at, r.last_used_at, r.revoked_at)
            for r in rows]


def revoke_token(uow: UnitOfWork, token_id: uuid.UUID) -> bool:
    """Revoke one of the scope's user's tokens; False when there is no such live token of theirs."""
    return bool(uow.session.execute(text("SELECT posture_revoke_api_token(:i)"), {"i": token_id}).scalar_one())
