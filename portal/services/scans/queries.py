"""Named reads of scans and their results (row-level security limits them to the caller's scope)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from portal.db.models import CheckResultRow, LatestResult, Scan, ScoreHistory
from portal.db.uow import UnitOfWork
from portal.services.errors import NotFound

__all__ = ["get_scan", "latest_results", "recent_scans", "scan_results", "score_history"]


def get_scan(uow: UnitOfWork, scan_id: uuid.UUID) -> Scan:
    """One scan. Raises ``NotFound`` outside the scope."""
    scan = uow.session.get(Scan, scan_id)
    if scan is None:
        raise NotFound(f"scan {scan_id} not found")
    return scan


def recent_scans(uow: UnitOfWork, customer_id: uuid.UUID, *, limit: int = 20) -> list[Scan]:
    """The customer's latest scans, newest first."""
    query = select(Scan).where(Scan.customer_id == customer_id).order_by(Scan.queued_at.desc()).limit(limit)
    return list(uow.session.scalars(query))


def scan_results(uow: UnitOfWork, scan_id: uuid.UUID) -> list[CheckResultRow]:
    """Every check result of one scan, by check id."""
    query = select(CheckResultRow).where(CheckResultRow.scan_id == scan_id).order_by(CheckResultRow.check_id)
    return list(uow.session.scalars(query))


def latest_results(uow: UnitOfWork, customer_id: uuid.UUID) -> list[LatestResult]:
    """The projection for one customer: the latest result of each check, by check id."""
    query = select(LatestResult).where(LatestResult.customer_id == customer_id).order_by(LatestResult.check_id)
    return list(uow.session.scalars(query))


def score_history(uow: UnitOfWork, customer_id: uuid.UUID, *, since: dt.date | None = None) -> list[ScoreHistory]:
    """The customer's daily scores, oldest first (from ``since`` when given)."""
    query = select(ScoreHistory).where(ScoreHistory.customer_id == customer_id)
    if since is not None:
        query = query.where(ScoreHistory.day >= since)
    return list(uow.session.scalars(query.order_by(ScoreHistory.day)))
