"""Who a transaction acts for: the MSP, the customers it may touch, the user and the actor.

Row-level security reads this scope from transaction-local settings (``app.msp_id``,
``app.customer_ids``, ``app.user_id``, ``app.actor``), set by the unit of work as the first statement
of every transaction, together with ``app.scope_sig``: a keyed hash of those values and of the
connection's backend pid (:func:`scope_signature`). The database checks the signature once per
statement (migration 0002, ``posture_scope_msp()``) and refuses a statement whose settings were
changed or copied from another connection. No scope set, no rows.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

__all__ = ["ALL_CUSTOMERS", "SCOPE_KEY_BYTES", "Scope", "new_scope_key", "scope_signature", "sign_fields"]

#: ``app.customer_ids`` value meaning "every customer of the MSP" (MSP admins, unscoped analysts).
ALL_CUSTOMERS = "*"
#: Length of a scope key.
SCOPE_KEY_BYTES = 32


@dataclass(frozen=True)
class Scope:
    """The caller's identity as row-level security sees it.

    Attributes:
        msp_id: the MSP every row must belong to.
        customer_ids: the customers visible; None means all of the MSP's customers.
        actor: who acts, for the audit trail (a user's email, or ``system:<component>``).
        user_id: the signed-in user, when a person acts (account functions check it).
    """

    msp_id: uuid.UUID
    customer_ids: frozenset[uuid.UUID] | None = None
    actor: str = "system"
    user_id: uuid.UUID | None = None

    @classmethod
    def for_customer(cls, msp_id: uuid.UUID, customer_id: uuid.UUID, actor: str = "system:worker") -> Scope:
        """One customer only: what a worker holds while it scans that customer's tenant."""
        return cls(msp_id=msp_id, customer_ids=frozenset({customer_id}), actor=actor)

    @classmethod
    def for_msp(cls, msp_id: uuid.UUID, actor: str = "system") -> Scope:
        return cls(msp_id=msp_id, customer_ids=None, actor=actor)

    def customer_setting(self) -> str:
        """The value of ``app.customer_ids``: ``*`` or a PostgreSQL uuid[] literal."""
        if self.customer_ids is None:
            return ALL_CUSTOMERS
        return "{" + ",".join(sorted(str(c) for c in self.customer_ids)) + "}"

    def settings(self) -> dict[str, str]:
        """The transaction settings, by name without the ``app.`` prefix, in signing order."""
        return {"msp_id": str(self.msp_id), "customer_ids": self.customer_setting(),
                "user_id": str(self.user_id) if self.user_id else "", "actor": self.actor}


def sign_fields(key: bytes, fields: list[str]) -> str:
    """The signature the database checks (``posture_expected_signature``): sha256(k || sha256(k || m))
    in hex, where ``m`` is each field as UTF-8, length-prefixed with 4 bytes big-endian, so no value
    can pass for another split of the same text."""
    message = b"".join(len(data).to_bytes(4, "big") + data for data in (field.encode() for field in fields))
    return hashlib.sha256(key + hashlib.sha256(key + message).digest()).hexdigest()


def scope_signature(key: bytes, settings: dict[str, str], backend_pid: int) -> str:
    """``app.scope_sig`` for ``settings`` on the connection whose backend is ``backend_pid``."""
    return sign_fields(key, ["scope", *settings.values(), str(backend_pid)])


def new_scope_key() -> bytes:
    """A fresh random scope key: hex text, so it can also travel as ``POSTURE_SCOPE_KEY``."""
    return secrets.token_hex(SCOPE_KEY_BYTES).encode()
