"""Append one event to the audit trail (``audit_events`` is append-only: insert, never update).

The actor is the scope's (a user's email, or ``system:<component>``): the database writes it from
the signed scope, with the time (migration 0002), so no caller can put words in someone's mouth.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from portal.db.models import AuditEvent
from portal.db.uow import UnitOfWork

__all__ = ["AUDIT_PAGE_SIZE", "AuditFilter", "audit_events", "record_event"]


def record_event(
    uow: UnitOfWork, *, customer_id: uuid.UUID | None, action: str, target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit event to the unit of work (written at flush, committed with everything else)."""
    uow.session.add(AuditEvent(
        msp_id=uow.scope.msp_id, customer_id=customer_id, action=action,
        target=target, details=details or {},
    ))


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page narrows to; every field optional."""

    actor: str | None = None
    action: str | None = None  # a prefix: "scan." matches every scan event
    customer_id: uuid.UUID | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


#: Events per page of the audit trail.
AUDIT_PAGE_SIZE = 100


def audit_events(uow: UnitOfWork, where: AuditFilter, *, page: int = 1) -> tuple[list[AuditEvent], bool]:
    """The events in scope matching ``where``, newest first, a page at a time; and whether more follow.

    Row-level security decides what is in scope: a customer's people see their tenant's events only.
    """
    query = select(AuditEvent)
    if where.actor:
        query = query.where(func.lower(AuditEvent.actor) == where.actor.strip().lower())
    if where.action:
        query = query.where(AuditEvent.action.startswith(where.action.strip(), autoescape=True))
    if where.customer_id:
        query = query.where(AuditEvent.customer_id == where.customer_id)
    if where.since:
        query = query.where(AuditEvent.created_at >= where.since)
    if where.until:
        query = query.where(AuditEvent.created_at < where.until)
    rows = list(uow.session.scalars(query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                                    .offset((page - 1) * AUDIT_PAGE_SIZE).limit(AUDIT_PAGE_SIZE + 1)))
    return rows[:AUDIT_PAGE_SIZE], len(rows) > AUDIT_PAGE_SIZE
