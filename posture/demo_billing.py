"""The demo's billing: what an MSP admin would have set by the time anyone looks.

Client prices for the three tiers (so the invoice shows a margin per customer), and a seat limit below
its usage on the customer with the most managed users (so the Licensing page shows one over limit).
Set through the services as the MSP admin, in the portal's own way; nothing is printed (CONTRACT.md
fixes the demo's output lines).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Engine, text

from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.billing import latest_managed_users, set_client_prices, set_terms

__all__ = ["DEMO_CLIENT_PRICES", "seed_billing"]

DEMO_CLIENT_PRICES = {"starter": Decimal("4.00"), "professional": Decimal("6.50"), "enterprise": Decimal("9.00")}


def seed_billing(engine: Engine, msp_id: uuid.UUID, admin_email: str) -> None:
    """As the demo MSP's admin: client prices per tier, one seat limit set below usage."""
    with unit_of_work(engine, Scope.for_msp(msp_id, actor="system:demo")) as uow:
        admin_id = uow.session.execute(text("SELECT id FROM users WHERE email = :e"), {"e": admin_email}).scalar_one()
    with unit_of_work(engine, Scope(msp_id=msp_id, actor=admin_email, user_id=admin_id)) as uow:
        set_client_prices(uow, dict(DEMO_CLIENT_PRICES))
        users = {c: n for c, n in latest_managed_users(uow).items() if n}
        if users:
            largest = max(users, key=lambda c: users[c])
            set_terms(uow, largest, seat_limit=max(1, users[largest] * 9 // 10))
