"""API tokens for the web tests, made the way a signed-in user makes them."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine

from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView, create_token

__all__ = ["token_for"]


def token_for(web_engine: Engine, user_id: uuid.UUID, email: str, membership: MembershipView, *,
              read_write: bool = False, days: int = 30) -> tuple[uuid.UUID, str]:
    """A personal API token the user makes for themselves in that membership's organisation."""
    scope = Scope(msp_id=membership.msp_id, actor=email, user_id=user_id,
                  customer_ids=frozenset({membership.customer_id}) if membership.customer_id else None)
    with unit_of_work(web_engine, scope) as uow:
        return create_token(uow, name="test token", read_write=read_write, days=days,
                            customer_id=membership.customer_id)
