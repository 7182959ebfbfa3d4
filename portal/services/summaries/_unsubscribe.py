"""The one-click unsubscribe link: signed, per delivery, usable without signing in.

The link carries the delivery's id and an HMAC-SHA256 of it (truncated to 128 bits), keyed with a key
derived from the scope key, so only the portal makes links and a link cannot be turned into another
address's. The database is asked through definer functions (migration 0023) that act on that one
delivery: its address stops receiving that customer's summaries. Unsubscribing twice is harmless.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, text

from portal.db.engine import scope_key_of

__all__ = ["Unsubscription", "unsubscribe", "unsubscribe_path", "unsubscription_of"]

_MAC_BYTES = 16


@dataclass(frozen=True)
class Unsubscription:
    customer_name: str
    address: str
    done: bool


def _key(engine: Engine) -> bytes:
    return hmac.new(scope_key_of(engine), b"posture unsubscribe v1", hashlib.sha256).digest()


def _mac(key: bytes, delivery_id: uuid.UUID) -> bytes:
    return hmac.new(key, delivery_id.bytes, hashlib.sha256).digest()[:_MAC_BYTES]


def unsubscribe_path(engine: Engine, delivery_id: uuid.UUID) -> str:
    """``/unsubscribe/<token>`` for one delivery."""
    token = base64.urlsafe_b64encode(delivery_id.bytes + _mac(_key(engine), delivery_id)).rstrip(b"=").decode()
    return f"/unsubscribe/{token}"


def _delivery_of(engine: Engine, token: str) -> uuid.UUID | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + _MAC_BYTES:
        return None
    delivery_id = uuid.UUID(bytes=raw[:16])
    return delivery_id if hmac.compare_digest(raw[16:], _mac(_key(engine), delivery_id)) else None


def unsubscription_of(engine: Engine, token: str) -> Unsubscription | None:
    """Whose link this is (None: not a link the portal made, or its delivery is gone)."""
    delivery_id = _delivery_of(engine, token)
    if delivery_id is None:
        return None
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM posture_unsubscribe_subject(:d)"), {"d": delivery_id}).first()
    return Unsubscription(row.customer_name, row.address, row.unsubscribed) if row else None


def unsubscribe(engine: Engine, token: str) -> Unsubscription | None:
    """Stop the link's address receiving its customer's summaries (None: not a valid link)."""
    delivery_id = _delivery_of(engine, token)
    if delivery_id is None:
        return None
    with engine.begin() as connection:
        if not connection.execute(text("SELECT posture_unsubscribe(:d)"), {"d": delivery_id}).scalar_one():
            return None
    return unsubscription_of(engine, token)
