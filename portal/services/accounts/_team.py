"""Who belongs to an organisation: members and open invitations, as the scope sees them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import text

from portal.db.models import Role
from portal.db.uow import UnitOfWork

__all__ = ["Member", "PendingInvitation", "members", "pending_invitations"]


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    email: str
    display_name: str
    role: Role
    customer_name: str | None


@dataclass(frozen=True)
class PendingInvitation:
    email: str
    role: Role
    customer_name: str | None
    invited_by: str
    expires_at: dt.datetime


def members(uow: UnitOfWork) -> list[Member]:
    """Every membership the scope sees, with its user (row-level security limits both)."""
    rows = uow.session.execute(text(
        "SELECT u.id, u.email, u.display_name, m.role, c.name AS customer_name FROM memberships m "
        "JOIN users u ON u.id = m.user_id LEFT JOIN customers c ON c.id = m.customer_id "
        "ORDER BY c.name NULLS FIRST, u.display_name")).all()
    return [Member(r.id, r.email, r.display_name, Role(r.role), r.customer_name) for r in rows]


def pending_invitations(uow: UnitOfWork) -> list[PendingInvitation]:
    """Open invitations the scope sees, newest first."""
    rows = uow.session.execute(text(
        "SELECT i.email, i.role, c.name AS customer_name, i.invited_by, i.expires_at FROM invitations i "
        "LEFT JOIN customers c ON c.id = i.customer_id WHERE i.accepted_at IS NULL AND i.expires_at > now() "
        "ORDER BY i.created_at DESC")).all()
    return [PendingInvitation(r.email, Role(r.role), r.customer_name, r.invited_by, r.expires_at) for r in rows]
