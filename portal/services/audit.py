"""Append one event to the audit trail (``audit_events`` is append-only: insert, never update).

The actor is the scope's (a user's email, or ``system:<component>``): the database writes it from
the signed scope, with the time (migration 0002), so no caller can put words in someone's mouth.
"""

from __future__ import annotations

import uuid
from typing import Any

from portal.db.models import AuditEvent
from portal.db.uow import UnitOfWork

__all__ = ["record_event"]


def record_event(
    uow: UnitOfWork, *, customer_id: uuid.UUID | None, action: str, target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit event to the unit of work (written at flush, committed with everything else)."""
    uow.session.add(AuditEvent(
        msp_id=uow.scope.msp_id, customer_id=customer_id, action=action,
        target=target, details=details or {},
    ))
