"""Opaque, tamper-evident ``$skiptoken`` values and the nextLinks that carry them.

A token holds the offset of the next page and an HMAC over (offset, scope), where the scope names
the tenant, the resource and the other query options. So a token edited by hand, or replayed on
another tenant, path or query, is refused (400) instead of silently serving the wrong page: a
client must follow ``@odata.nextLink`` unchanged, as Graph's paging guidance says. Shared by Graph
and by the Exchange admin API (``sim.exchange``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["encode_query", "make_skiptoken", "paging_scope", "read_skiptoken"]

_MAGIC = b"SIM1"


def paging_scope(tenant_id: str, resource: str, pairs: Iterable[tuple[str, str]]) -> bytes:
    """What a token is bound to: tenant, resource and the other options (order-insensitive)."""
    options = sorted((k.lower(), v) for k, v in pairs if k.lower() != "$skiptoken")
    return repr((tenant_id.lower(), resource.lower(), options)).encode()


def make_skiptoken(key: bytes, scope: bytes, offset: int) -> str:
    """A token for the page starting at ``offset``."""
    packed = struct.pack(">I", offset)
    mac = hmac.new(key, packed + scope, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(_MAGIC + packed + mac).decode().rstrip("=")


def read_skiptoken(key: bytes, scope: bytes, token: str) -> int | None:
    """The offset a token points to, or None when it is malformed, tampered with or foreign."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 24 or not raw.startswith(_MAGIC):
        return None
    packed, mac = raw[4:8], raw[8:]
    if not hmac.compare_digest(mac, hmac.new(key, packed + scope, hashlib.sha256).digest()[:16]):
        return None
    return int(struct.unpack(">I", packed)[0])


def encode_query(pairs: Iterable[tuple[str, str]]) -> str:
    """A query string as Graph writes it in nextLinks (``$`` and commas kept readable)."""
    return "&".join(f"{quote(k, safe='$')}={quote(v, safe=chr(36) + ',()/:@')}" for k, v in pairs)
