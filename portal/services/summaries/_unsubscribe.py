"""The one-click unsubscribe link: signed, per delivery, usable without signing in.

The link carries the delivery's id and the first 128 bits of its signature (``sign_fields`` over
``summary-unsubscribe`` and the id, keyed with the scope key), so only the portal makes links and a
link cannot be turned into another address's. The portal checks it, and so does the database: the
definer functions (migration 0023) act on that one delivery only when its signature is given, so the
web role cannot unsubscribe, or read, a delivery it holds no link for. Unsubscribing twice is harmless.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, text

from portal.db.engine import scope_key_of
from portal.db.scope import sign_fields

__all__ = ["Unsubscription", "unsubscribe", "unsubscribe_path", "unsubscription_of"]

_MAC_BYTES = 16


@dataclass(frozen=True)
class Unsubscription:
    customer_name: str
    address: str
    done: bool


def _mac(engine: Engine, delivery_id: uuid.UUID) -> bytes:
    return bytes.fromhex(sign_fields(scope_key_of(engine), ["summary-unsubscribe", str(delivery_id)]))[:_MAC_BYTES]


def unsubscribe_path(engine: Engine, delivery_id: uuid.UUID) -> str:
    """``/unsubscribe/<token>`` for one delivery."""
    token = base64.urlsafe_b64encode(delivery_id.bytes + _mac(engine, delivery_id)).rstrip(b"=").decode()
    return f"/unsubscribe/{token}"


def _signed(engine: Engine, token: str) -> tuple[uuid.UUID, str] | None:
    """The token's delivery and signature (hex, for the database to check again), if the portal made it."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + _MAC_BYTES:
        return None
    delivery_id = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _mac(engine, delivery_id)):
        return None
    return delivery_id, raw[16:].hex()


def unsubscription_of(engine: Engine, token: str) -> Unsubscription | None:
    """Whose link this is (None: not a link the portal made, or its delivery is gone)."""
    signed = _signed(engine, token)
    if signed is None:
        return None
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM posture_unsubscribe_subject(:d, :m)"),
                                 {"d": signed[0], "m": signed[1]}).first()
    return Unsubscription(row.customer_name, row.address, row.unsubscribed) if row else None


def unsubscribe(engine: Engine, token: str) -> Unsubscription | None:
    """Stop the link's address receiving its customer's summaries (None: not a valid link)."""
    signed = _signed(engine, token)
    if signed is None:
        return None
    with engine.begin() as connection:
        if not connection.execute(text("SELECT posture_unsubscribe(:d, :m)"),
                                  {"d": signed[0], "m": signed[1]}).scalar_one():
            return None
    return unsubscription_of(engine, token)
