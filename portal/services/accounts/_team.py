"""Who belongs to an organisation: members and open invitations, as the scope sees them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Role
from portal.db.uow import UnitOfWork
from portal.services.errors import Forbidden

__all__ = ["Member", "PendingInvitation", "change_member", "members", "pending_invitations", "remove_member"]


@dataclass(frozen=True)
class Member:
    membership_id: uuid.UUID
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
        "SELECT m.id AS membership_id, u.id, u.email, u.display_name, m.role, c.name AS customer_name "
        "FROM memberships m "
        "JOIN users u ON u.id = m.user_id LEFT JOIN customers c ON c.id = m.customer_id "
        "ORDER BY c.name NULLS FIRST, u.display_name")).all()
    return [Member(r.membership_id, r.id, r.email, r.display_name, Role(r.role), r.customer_name) for r in rows]


def pending_invitations(uow: UnitOfWork) -> list[PendingInvitation]:
    """Open invitations the scope sees, newest first."""
    rows = uow.session.execute(text(
        "SELECT i.email, i.role, c.name AS customer_name, i.invited_by, i.expires_at FROM invitations i "
        "LEFT JOIN customers c ON c.id = i.customer_id WHERE i.accepted_at IS NULL AND i.expires_at > now() "
        "ORDER BY i.created_at DESC")).all()
    return [PendingInvitation(r.email, Role(r.role), r.customer_name, r.invited_by, r.expires_at) for r in rows]


def change_member(uow: UnitOfWork, membership_id: uuid.UUID, role: Role, tags: frozenset[str] = frozenset()) -> None:
    """Give a member another role (and an analyst tags); the database checks who asks (migration 0009).

    Raises:
        Forbidden: the scope's user may not change this member, or the change would leave no MSP admin,
            or would change the membership's kind.
    """
    _checked(uow, "SELECT posture_change_member(:m, :r, :t)",
             {"m": membership_id, "r": role.value, "t": sorted(tags)})


def remove_member(uow: UnitOfWork, membership_id: uuid.UUID) -> None:
    """Remove a member from the organisation (their sessions lose it; their tokens for it stop).

    Raises:
        Forbidden: as for :func:`change_member`.
    """
    _checked(uow, "SELECT posture_remove_member(:m)", {"m": membership_id})


def _checked(uow: UnitOfWork, sql: str, params: dict[str, object]) -> None:
    try:
        with uow.session.begin_nested():
            uow.session.execute(text(sql), params)
    except DBAPIError as exc:
        message = str((getattr(exc.orig, "diag", None) and exc.orig.diag.message_primary) or "refused")
        raise Forbidden(message) from None
