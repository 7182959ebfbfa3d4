"""The row-level security scope of a signed-in person in one of their organisations.

MSP admins and analysts without tags see all of their MSP's customers (``*``); an analyst limited
to tags sees exactly the customers carrying one of them, listed once per request by a read of the
MSP's customers (the rule is :func:`portal.services.accounts.visible_customers`, the same one
:func:`may` uses); a customer role sees its one customer. The actor in the audit trail is the
person's email, and the scope carries their user id for the account functions.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, select

from portal.db.models import Customer
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts._access import CustomerAccess, MembershipView, visible_customers

__all__ = ["scope_for"]


def scope_for(engine: Engine, membership: MembershipView, *, email: str, user_id: uuid.UUID) -> Scope:
    """The scope the unit of work signs for ``membership``'s requests."""
    base = Scope(msp_id=membership.msp_id, actor=email, user_id=user_id)
    if membership.customer_id is not None:
        return Scope(msp_id=membership.msp_id, customer_ids=frozenset({membership.customer_id}), actor=email,
                     user_id=user_id)
    if not membership.tags:
        return base
    with unit_of_work(engine, base) as uow:  # the whole MSP, read only to narrow it down
        rows = uow.session.execute(select(Customer.id, Customer.access_tier, Customer.tags)).all()
    customers = [CustomerAccess(customer_id=r.id, msp_id=membership.msp_id, tier=r.access_tier,
                                tags=frozenset(r.tags or ())) for r in rows]
    visible = visible_customers(membership, customers)
    return Scope(msp_id=membership.msp_id, customer_ids=visible, actor=email, user_id=user_id)
