"""The one authorization rule: what a role may do, capped by the MSP's access tier to the customer.

DESIGN.md "Roles": MSP admins run the MSP (customers, team, branding, billing); MSP analysts work on
customers (scans, findings, reports), all of them or those carrying given tags; customer admins
look after their own tenant (its users, exceptions, report recipients); customer viewers read it.
An MSP's access to each customer has a tier (Monitor: read; Operate: scans, exceptions, reports;
Manage: also branding and connection settings), and for MSP staff the effective right on a
customer is the lower of what the role allows and what the tier allows. The tier is the MSP's
agreement with its customer, so it never limits the customer's own users.

Pages, the JSON API, the AI helpers and the row-level security scope all come from here:
:func:`may` answers "may this membership do this action (on this customer)?", and
:func:`visible_customers` computes which customers a membership sees, which is the scope the
unit of work signs. Nothing else decides either.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from portal.db.models import AccessTier, Role

__all__ = ["Action", "CustomerAccess", "MembershipView", "may", "visible_customers"]


class Action(enum.StrEnum):
    """What a caller asks to do. Customer actions name a customer; MSP actions do not."""

    VIEW = "view"  # posture, findings, history, reports already made
    START_SCAN = "start_scan"
    ACCEPT_RISK = "accept_risk"
    MANAGE_REPORTS = "manage_reports"  # make, schedule and send reports; their recipients
    MANAGE_BRANDING = "manage_branding"
    MANAGE_CONNECTION = "manage_connection"  # consent link, re-probe, scan schedule
    MANAGE_CUSTOMER_USERS = "manage_customer_users"
    VIEW_AUDIT = "view_audit"
    # MSP-wide: no customer.
    MANAGE_CUSTOMERS = "manage_customers"  # add, retire, set tier and tags
    MANAGE_TEAM = "manage_team"
    MANAGE_BILLING = "manage_billing"  # money: rates, invoices, margins; seat limits and tiers
    VIEW_SEATS = "view_seats"  # managed users against seat limits, no money
    MANAGE_ALERTS = "manage_alerts"  # alert channels and rules
    VIEW_MSP_AUDIT = "view_msp_audit"  # the whole MSP's audit trail


_MSP_WIDE = frozenset({Action.MANAGE_CUSTOMERS, Action.MANAGE_TEAM, Action.MANAGE_BILLING, Action.VIEW_MSP_AUDIT,
                       Action.MANAGE_ALERTS})
#: MSP-wide actions for any of the MSP's staff (the rest of the MSP-wide ones are its admins').
_STAFF_WIDE = frozenset({Action.VIEW_SEATS})
_TIER_RANK = {AccessTier.MONITOR: 0, AccessTier.OPERATE: 1, AccessTier.MANAGE: 2}
#: The tier a customer action needs, for MSP staff.
_NEEDS_TIER = {
    Action.VIEW: AccessTier.MONITOR,
    Action.VIEW_AUDIT: AccessTier.MONITOR,
    Action.START_SCAN: AccessTier.OPERATE,
    Action.ACCEPT_RISK: AccessTier.OPERATE,
    Action.MANAGE_REPORTS: AccessTier.OPERATE,
    Action.MANAGE_BRANDING: AccessTier.MANAGE,
    Action.MANAGE_CONNECTION: AccessTier.MANAGE,
    # Inviting a customer's users is part of onboarding, which runs at the default tier (Operate).
    Action.MANAGE_CUSTOMER_USERS: AccessTier.OPERATE,
}
#: What each role may do at most (before the tier caps MSP staff).
_ROLE_ALLOWS: dict[Role, frozenset[Action]] = {
    Role.MSP_ADMIN: frozenset(Action),
    Role.MSP_ANALYST: frozenset({Action.VIEW, Action.START_SCAN, Action.ACCEPT_RISK, Action.MANAGE_REPORTS,
                                 Action.MANAGE_BRANDING, Action.MANAGE_CONNECTION, Action.VIEW_SEATS}),
    Role.CUSTOMER_ADMIN: frozenset({Action.VIEW, Action.ACCEPT_RISK, Action.MANAGE_REPORTS,
                                    Action.MANAGE_CUSTOMER_USERS, Action.VIEW_AUDIT}),
    Role.CUSTOMER_VIEWER: frozenset({Action.VIEW}),
}


@dataclass(frozen=True)
class MembershipView:
    """A user's role in one MSP: MSP-wide (``customer_id`` None, an analyst maybe limited by ``tags``)
    or in one customer."""

    msp_id: uuid.UUID
    role: Role
    customer_id: uuid.UUID | None = None
    tags: frozenset[str] = frozenset()

    @property
    def is_msp_staff(self) -> bool:
        return self.role in (Role.MSP_ADMIN, Role.MSP_ANALYST)


@dataclass(frozen=True)
class CustomerAccess:
    """What :func:`may` needs to know of a customer: whose it is, its tier, its tags."""

    customer_id: uuid.UUID
    msp_id: uuid.UUID
    tier: AccessTier
    tags: frozenset[str] = frozenset()


def visible_customers(membership: MembershipView, customers: Iterable[CustomerAccess]) -> frozenset[uuid.UUID] | None:
    """The customers ``membership`` sees: None for all of the MSP's, else exactly these ids.

    An MSP admin and an analyst without tags see every customer; an analyst with tags sees the
    customers carrying at least one of them; a customer role sees its own customer.
    """
    if membership.role is Role.MSP_ADMIN or (membership.role is Role.MSP_ANALYST and not membership.tags):
        return None
    if membership.role is Role.MSP_ANALYST:
        return frozenset(c.customer_id for c in customers
                         if c.msp_id == membership.msp_id and c.tags & membership.tags)
    assert membership.customer_id is not None
    return frozenset({membership.customer_id})


def may(membership: MembershipView, action: Action, customer: CustomerAccess | None = None) -> bool:
    """Whether ``membership`` may do ``action`` (on ``customer`` for customer actions)."""
    if action not in _ROLE_ALLOWS[membership.role]:
        return False
    if action in _MSP_WIDE:
        return customer is None and membership.role is Role.MSP_ADMIN
    if action in _STAFF_WIDE:
        return customer is None and membership.is_msp_staff
    if customer is None or customer.msp_id != membership.msp_id:
        return False
    if membership.is_msp_staff:
        seen = visible_customers(membership, [customer])
        if seen is not None and customer.customer_id not in seen:
            return False
        if action is Action.MANAGE_BRANDING and membership.role is Role.MSP_ADMIN:
            return True  # how the MSP's own outputs look is not an act on the tenant: no tier caps it
        return _TIER_RANK[customer.tier] >= _TIER_RANK[_NEEDS_TIER[action]]
    return customer.customer_id == membership.customer_id
