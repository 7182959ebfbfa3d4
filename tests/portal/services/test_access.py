"""The authorization rule, case by case, written from DESIGN.md "Roles" (not from the code).

Rows are (role, tier) -> the customer actions allowed on a customer the membership sees; every other
action must be refused. MSP-wide actions, tags, other customers and other MSPs come after.
"""

from __future__ import annotations

import uuid

import pytest

from portal.db.models import AccessTier, Role
from portal.services.accounts import Action, CustomerAccess, MembershipView, may, visible_customers

A = Action
MSP, OTHER_MSP = uuid.uuid4(), uuid.uuid4()
CUSTOMER, NEIGHBOUR = uuid.uuid4(), uuid.uuid4()
MSP_WIDE = (A.MANAGE_CUSTOMERS, A.MANAGE_TEAM, A.MANAGE_BILLING, A.VIEW_MSP_AUDIT, A.MANAGE_ALERTS)
#: MSP-wide, for every member of its staff: seats (analysts see seats, never money).
STAFF_WIDE = (A.VIEW_SEATS,)
CUSTOMER_ACTIONS = [a for a in Action if a not in MSP_WIDE and a not in STAFF_WIDE]

EXPECTED = {
    # Branding is the MSP's own presentation, not an act on the tenant: its admins need no tier for it.
    (Role.MSP_ADMIN, AccessTier.MONITOR): {A.VIEW, A.VIEW_AUDIT, A.MANAGE_BRANDING},
    (Role.MSP_ADMIN, AccessTier.OPERATE): {A.VIEW, A.VIEW_AUDIT, A.START_SCAN, A.ACCEPT_RISK, A.MANAGE_REPORTS,
                                           A.MANAGE_CUSTOMER_USERS, A.MANAGE_BRANDING},
    (Role.MSP_ADMIN, AccessTier.MANAGE): set(CUSTOMER_ACTIONS),
    (Role.MSP_ANALYST, AccessTier.MONITOR): {A.VIEW},
    (Role.MSP_ANALYST, AccessTier.OPERATE): {A.VIEW, A.START_SCAN, A.ACCEPT_RISK, A.MANAGE_REPORTS},
    (Role.MSP_ANALYST, AccessTier.MANAGE): {A.VIEW, A.START_SCAN, A.ACCEPT_RISK, A.MANAGE_REPORTS,
                                            A.MANAGE_BRANDING, A.MANAGE_CONNECTION},
    # The tier is the MSP's agreement: it does not limit the customer's own people.
    **{(Role.CUSTOMER_ADMIN, tier): {A.VIEW, A.ACCEPT_RISK, A.MANAGE_REPORTS, A.MANAGE_CUSTOMER_USERS, A.VIEW_AUDIT}
       for tier in AccessTier},
    **{(Role.CUSTOMER_VIEWER, tier): {A.VIEW} for tier in AccessTier},
}


def member(role: Role, tags: frozenset[str] = frozenset()) -> MembershipView:
    customer = CUSTOMER if role in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_VIEWER) else None
    return MembershipView(msp_id=MSP, role=role, customer_id=customer, tags=tags)


def customer(tier: AccessTier, *, customer_id: uuid.UUID = CUSTOMER, msp_id: uuid.UUID = MSP,
             tags: frozenset[str] = frozenset()) -> CustomerAccess:
    return CustomerAccess(customer_id=customer_id, msp_id=msp_id, tier=tier, tags=tags)


@pytest.mark.parametrize(("role", "tier"), sorted(EXPECTED, key=str))
def test_the_effective_right_is_the_lower_of_role_and_tier(role: Role, tier: AccessTier) -> None:
    allowed = {action for action in CUSTOMER_ACTIONS if may(member(role), action, customer(tier))}
    assert allowed == EXPECTED[(role, tier)]


@pytest.mark.parametrize("role", list(Role))
def test_msp_wide_actions_are_for_msp_admins_only_and_never_name_a_customer(role: Role) -> None:
    for action in MSP_WIDE:
        assert may(member(role), action) == (role is Role.MSP_ADMIN)
        assert not may(member(role), action, customer(AccessTier.MANAGE))


@pytest.mark.parametrize("role", list(Role))
def test_seats_are_for_all_msp_staff_and_never_name_a_customer(role: Role) -> None:
    for action in STAFF_WIDE:
        assert may(member(role), action) == (role in (Role.MSP_ADMIN, Role.MSP_ANALYST))
        assert may(member(role, frozenset({"east"})), action) == (role in (Role.MSP_ADMIN, Role.MSP_ANALYST))
        assert not may(member(role), action, customer(AccessTier.MANAGE))


@pytest.mark.parametrize("role", list(Role))
def test_nothing_on_another_msps_customer_whatever_the_tier(role: Role) -> None:
    foreign = customer(AccessTier.MANAGE, customer_id=CUSTOMER, msp_id=OTHER_MSP)
    assert not any(may(member(role), action, foreign) for action in CUSTOMER_ACTIONS)


@pytest.mark.parametrize("role", [Role.CUSTOMER_ADMIN, Role.CUSTOMER_VIEWER])
def test_customer_roles_see_their_own_customer_only(role: Role) -> None:
    neighbour = customer(AccessTier.MANAGE, customer_id=NEIGHBOUR)
    assert not any(may(member(role), action, neighbour) for action in CUSTOMER_ACTIONS)
    assert visible_customers(member(role), [neighbour]) == frozenset({CUSTOMER})


def test_an_analyst_limited_to_tags_sees_and_acts_on_those_customers_only() -> None:
    analyst = member(Role.MSP_ANALYST, frozenset({"gold", "eu"}))
    gold = customer(AccessTier.OPERATE, tags=frozenset({"gold"}))
    silver = customer(AccessTier.MANAGE, customer_id=NEIGHBOUR, tags=frozenset({"silver"}))
    elsewhere = customer(AccessTier.MANAGE, customer_id=uuid.uuid4(), msp_id=OTHER_MSP, tags=frozenset({"gold"}))

    assert visible_customers(analyst, [gold, silver, elsewhere]) == frozenset({CUSTOMER})
    assert may(analyst, A.START_SCAN, gold)
    assert not may(analyst, A.VIEW, silver)
    assert not may(analyst, A.VIEW, elsewhere)


@pytest.mark.parametrize("role", [Role.MSP_ADMIN, Role.MSP_ANALYST])
def test_msp_staff_without_tags_see_every_customer_of_their_msp(role: Role) -> None:
    assert visible_customers(member(role), [customer(AccessTier.MONITOR)]) is None
