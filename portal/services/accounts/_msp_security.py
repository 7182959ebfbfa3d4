"""An MSP's security settings: for now, whether its staff must use a second factor."""

from __future__ import annotations

from sqlalchemy import text

from portal.db.uow import UnitOfWork
from portal.services.accounts._access import Action, MembershipView, may
from portal.services.audit import record_event
from portal.services.errors import Forbidden

__all__ = ["require_second_factor_for_staff", "second_factor_required_for_staff"]


def second_factor_required_for_staff(uow: UnitOfWork) -> bool:
    """Whether the scope's MSP requires a second factor of its staff."""
    return bool(uow.session.execute(text("SELECT require_totp_for_staff FROM msps")).scalar())


def require_second_factor_for_staff(uow: UnitOfWork, membership: MembershipView, required: bool) -> None:
    """Switch the requirement (MSP admins only), recorded in the audit trail.

    Raises:
        Forbidden: the membership is not an MSP admin's.
    """
    if not may(membership, Action.MANAGE_TEAM):
        raise Forbidden("only an MSP admin changes the MSP's security settings")
    uow.session.execute(text("SELECT posture_set_totp_requirement(:r)"), {"r": required})
    record_event(uow, customer_id=None, action="msp.second_factor_requirement", details={"required": required})
