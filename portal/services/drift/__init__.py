"""Drift: which findings are new, regressed or fixed, for a customer and for the fleet.

- The log: ``record_scan`` writes a ``finding_changes`` row each time a scan moves a check's verdict
  (:func:`change_of`, from the projection just before it), in the scan's own transaction.
- :func:`drift`: the net changes over a :class:`Period` (since each customer's previous scan, this
  week, since a date), with counts and a per-check tally: the fleet's "what changed" page, a
  customer's drift card and ``/api/v1/drift``.
- :func:`timeline`: a customer's changes one by one, newest first.

Decision: drift reads a log written at record time, not a comparison of stored scans at read time.
Comparing every customer's scans at read time is one join of two ``check_results`` sets per customer
(80,000 rows for a 1,000-customer fleet's "this week"); the log is a few rows per customer per week,
indexed by time, and it is exactly what the projection saw, in order, including partial scans.
"""

from portal.services.drift._classify import change_of, net_change, settle
from portal.services.drift._query import (
    MAX_CHANGES,
    Change,
    CheckDrift,
    Drift,
    Period,
    drift,
    period_of,
    timeline,
)

__all__ = ["MAX_CHANGES", "Change", "CheckDrift", "Drift", "Period", "change_of", "drift", "net_change",
           "period_of", "settle", "timeline"]
