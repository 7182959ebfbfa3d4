"""The customer row's last-scan figures (migration 0012), written with the scan that changes them.

The fleet page reads them for every customer at once; keeping them here costs two guarded UPDATEs
per finished scan. "Guarded": a scan that finishes after a newer one has been recorded never moves
them back, as ``latest_results`` and ``score_history`` are never moved back (``_record``).
"""

from __future__ import annotations

from sqlalchemy import or_, update

from portal.db.models import Customer, Scan, ScanStatus
from portal.db.uow import UnitOfWork

__all__ = ["note_finished"]

_SCORED = (ScanStatus.COMPLETED, ScanStatus.PARTIAL)


def note_finished(uow: UnitOfWork, scan: Scan) -> None:
    """Put ``scan`` (just finished, any outcome) on its customer's row, unless a newer one is there."""
    if scan.finished_at is None:
        return
    uow.session.execute(
        update(Customer)
        .where(Customer.id == scan.customer_id,
               or_(Customer.last_scan_at.is_(None), Customer.last_scan_at <= scan.finished_at))
        .values(last_scan_at=scan.finished_at, last_scan_status=ScanStatus(scan.status).value)
        .execution_options(synchronize_session=False))
    if ScanStatus(scan.status) in _SCORED:
        uow.session.execute(
            update(Customer)
            .where(Customer.id == scan.customer_id,
                   or_(Customer.scored_at.is_(None), Customer.scored_at <= scan.finished_at))
            .values(score=scan.score, grade=scan.grade, coverage=scan.coverage, scored_at=scan.finished_at)
            .execution_options(synchronize_session=False))
