"""Whether the platform operator holds an MSP's service (migration 0025).

A suspended MSP's customers are not scanned (the database refuses the scan rows themselves) and its
people may read but not change anything: the portal asks :func:`msp_suspension` before any write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from portal.db.models import Msp
from portal.db.uow import UnitOfWork

__all__ = ["SUSPENDED_MESSAGE", "Suspension", "msp_suspension"]

SUSPENDED_MESSAGE = "your organisation's service is suspended by the platform operator: it is read only"


@dataclass(frozen=True)
class Suspension:
    since: dt.datetime
    by: str | None


def msp_suspension(uow: UnitOfWork) -> Suspension | None:
    """The scope's MSP's suspension, or None when it is in service."""
    row = uow.session.execute(select(Msp.suspended_at, Msp.suspended_by)
                              .where(Msp.id == uow.scope.msp_id)).one_or_none()
    if row is None or row.suspended_at is None:
        return None
    return Suspension(row.suspended_at, row.suspended_by)
