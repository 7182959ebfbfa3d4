"""Scans: queue them, run them (the worker's actor bodies), record them, read them back.

- :func:`start_scan`, :func:`enqueue_due_scans`, :func:`due_customers`: queue scans in the caller's
  unit of work; messages go out after commit through a :class:`ScanQueue` the caller provides.
- :func:`run_scan`: one scan end to end (two short transactions around the scanner), idempotent.
- :func:`record_scan`: store a finished scan in one transaction, all or nothing.
- :func:`mark_failed` / :func:`fail_scan`: the dead-letter path.
- :func:`run_due_schedules`: the schedule across every MSP; :func:`next_scan_time` (cadence, jitter,
  window), :func:`set_schedule` and :func:`set_suspended` for the customer page.
- ``portal.services.scans.queries``: named reads.
"""

from portal.services.environment import ScannerEnvironment
from portal.services.scans._cadence import (
    CADENCES,
    ScanWindow,
    may_schedule,
    next_scan_time,
    set_schedule,
    set_suspended,
    window_of,
)
from portal.services.scans._queue import ScanQueue
from portal.services.scans._record import record_scan
from portal.services.scans._run import (
    TRANSIENT_ERRORS,
    WORKER_ACTOR,
    ScanRun,
    claim,
    fail_scan,
    mark_failed,
    run_scan,
)
from portal.services.scans._schedule import SCHEDULER_ACTOR, run_due_schedules
from portal.services.scans._start import (
    MAX_RESENDS,
    SCAN_COOLDOWN,
    STRANDED_AFTER,
    ScanRefused,
    due_customers,
    enqueue_due_scans,
    request_scan,
    resend_stranded_scans,
    start_scan,
)

__all__ = [
    "CADENCES",
    "MAX_RESENDS",
    "SCAN_COOLDOWN",
    "SCHEDULER_ACTOR",
    "STRANDED_AFTER",
    "TRANSIENT_ERRORS",
    "WORKER_ACTOR",
    "ScanQueue",
    "ScanRefused",
    "ScanRun",
    "ScanWindow",
    "ScannerEnvironment",
    "claim",
    "due_customers",
    "enqueue_due_scans",
    "fail_scan",
    "mark_failed",
    "may_schedule",
    "next_scan_time",
    "record_scan",
    "request_scan",
    "resend_stranded_scans",
    "run_due_schedules",
    "run_scan",
    "set_schedule",
    "set_suspended",
    "start_scan",
    "window_of",
]
