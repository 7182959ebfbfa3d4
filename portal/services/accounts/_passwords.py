"""Password hashing: argon2id (argon2-cffi's defaults, RFC 9106's second recommendation), with a pepper.

The database stores the argon2id hash; the portal's role can obtain one hash at a time for the
sign-in it is verifying (migration 0004). So that a hash taken that way (or from a backup) cannot
be attacked offline, the password is first keyed with a pepper: HMAC-SHA256 under a key derived
from the scope key, which lives in the application's settings and, in the database, only where the
definer role reads it. The pepper is derived, not configured apart, so there is one secret to keep;
the price is that replacing the scope key invalidates every password (users reset theirs).
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Passwords"]

_PEPPER_LABEL = b"posture password pepper v1"


class Passwords:
    """Hash and verify passwords for one deployment (its scope key)."""

    def __init__(self, scope_key: bytes, hasher: PasswordHasher | None = None) -> None:
        self._pepper = hmac.new(scope_key, _PEPPER_LABEL, hashlib.sha256).digest()
        self._hasher = hasher or PasswordHasher()

    def _keyed(self, password: str) -> str:
        return hmac.new(self._pepper, password.encode(), hashlib.sha256).hexdigest()

    def hash(self, password: str) -> str:
        """An ``$argon2id$...`` hash of ``password``."""
        return self._hasher.hash(self._keyed(password))

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored`` (False for no hash or a malformed one)."""
        if not stored:
            # Same work as a real check: a missing account must not answer faster than a wrong password.
            self._hasher.hash(self._keyed(password))
            return False
        try:
            return self._hasher.verify(stored, self._keyed(password))
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with weaker parameters than today's."""
        return self._hasher.check_needs_rehash(stored)
