"""Who a transaction acts for: the MSP and the customers it may touch.

Row-level security reads this scope from two transaction-local settings (``app.msp_id`` and
``app.customer_ids``), set by the unit of work as the first statement of every transaction.
No scope set, no rows: the policies compare against NULL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

__all__ = ["ALL_CUSTOMERS", "Scope"]

#: ``app.customer_ids`` value meaning "every customer of the MSP" (MSP admins, unscoped analysts).
ALL_CUSTOMERS = "*"


@dataclass(frozen=True)
class Scope:
    """The caller's identity as row-level security sees it.

    Attributes:
        msp_id: the MSP every row must belong to.
        customer_ids: the customers visible; None means all of the MSP's customers.
        actor: who acts, for the audit trail (a user's email, or ``system:<component>``).
    """

    msp_id: uuid.UUID
    customer_ids: frozenset[uuid.UUID] | None = None
    actor: str = "system"

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
