"""The customer row's last-scan figures (migration 0012), written with the scan that changes them.

The fleet page reads them for every customer at once; keeping them here costs nothing more than the
customer row's own UPDATE, which the scan's recording makes anyway. A scan that finishes after a newer
one has been recorded never moves them back, as ``latest_results`` and ``score_history`` are never
moved back (``_record``): the caller holds the customer row's lock, so the comparison below is with
what is really there.
"""

from __future__ import annotations

from portal.db.models import Customer, Scan, ScanStatus

__all__ = ["note_finished"]

_SCORED = (ScanStatus.COMPLETED, ScanStatus.PARTIAL)


def note_finished(customer: Customer, scan: Scan) -> None:
    """Put ``scan`` (just finished, any outcome) on ``customer``, locked by the caller, unless a newer one is there."""
    finished = scan.finished_at
    if finished is None:
        return
    if customer.last_scan_at is None or customer.last_scan_at <= finished:
        customer.last_scan_at, customer.last_scan_status = finished, ScanStatus(scan.status).value
    if ScanStatus(scan.status) in _SCORED and (customer.scored_at is None or customer.scored_at <= finished):
        customer.score, customer.grade, customer.coverage = scan.score, scan.grade, scan.coverage
        customer.scored_at = finished
