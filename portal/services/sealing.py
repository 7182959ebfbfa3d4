"""Secrets the portal must read back (TOTP seeds, webhook URLs and signing secrets), sealed at rest.

AES-256-GCM with a key derived from the scope key for each purpose (HMAC-SHA256 of the purpose), a
random 96-bit nonce per seal, and the purpose as associated data: a row copied from one column to
another, or from one purpose to another, does not open. The database holds ciphertext only, so a
dump, a replica or an injected ``SELECT`` reveals no secret without the scope key, which is never in
the database (DESIGN.md "Secrets").
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["seal", "unseal"]

_NONCE = 12


def _cipher(key: bytes, purpose: str, version: str) -> AESGCM:
    return AESGCM(hmac.new(key, f"posture {purpose} {version}".encode(), hashlib.sha256).digest())


def seal(key: bytes, purpose: str, secret: str, *, version: str = "v1", associated: bytes | None = None) -> bytes:
    """``secret`` encrypted for ``purpose``: nonce then ciphertext and tag."""
    nonce = os.urandom(_NONCE)
    return nonce + _cipher(key, purpose, version).encrypt(nonce, secret.encode(), associated or purpose.encode())


def unseal(key: bytes, purpose: str, sealed: bytes, *, version: str = "v1", associated: bytes | None = None) -> str:
    """The secret :func:`seal` sealed. Raises ``cryptography.exceptions.InvalidTag`` when it does not open."""
    return _cipher(key, purpose, version).decrypt(sealed[:_NONCE], sealed[_NONCE:],
                                                  associated or purpose.encode()).decode()
