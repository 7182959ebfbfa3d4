"""The platform operator's reach: every MSP, one at a time.

An operator is a user the platform's owner marked (``users.is_platform_operator``; no role can set
it). The operator acts on an MSP in a scope of that MSP with the operator as its user; the database
asks ``posture_scope_is_operator()`` itself on every money table (migration 0024), so a scope naming
an MSP does not make anyone an operator of it. The list of MSPs comes from a definer function that
answers operators only. Without an MSP, the scope names none (the nil id): nothing is in it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.errors import Forbidden, NotFound

__all__ = ["MspListing", "operator_msps", "operator_scope"]

_NO_MSP = uuid.UUID(int=0)


@dataclass(frozen=True)
class MspListing:
    id: uuid.UUID
    name: str
    slug: str
    created_at: dt.datetime
    customers: int


def operator_msps(engine: Engine, user_id: uuid.UUID, email: str) -> list[MspListing]:
    """Every MSP, for an operator. Raises Forbidden for anyone else."""
    with unit_of_work(engine, Scope(_NO_MSP, actor=email, user_id=user_id)) as uow:
        if not uow.session.scalar(text("SELECT posture_scope_is_operator()")):
            raise Forbidden("this is the platform operator's page")
        rows = uow.session.execute(text("SELECT id, name, slug, created_at, customers FROM posture_operator_msps()"))
        return [MspListing(r.id, r.name, r.slug, r.created_at, int(r.customers)) for r in rows]


def operator_scope(engine: Engine, user_id: uuid.UUID, email: str, msp_id: uuid.UUID) -> tuple[Scope, MspListing]:
    """The scope in which an operator acts on ``msp_id``, and that MSP.

    Raises:
        Forbidden: the user is not a platform operator.
        NotFound: there is no such MSP.
    """
    for msp in operator_msps(engine, user_id, email):
        if msp.id == msp_id:
            return Scope(msp_id, customer_ids=None, actor=email, user_id=user_id), msp
    raise NotFound(f"MSP {msp_id} not found")
