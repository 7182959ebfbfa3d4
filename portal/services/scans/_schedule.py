"""Run the schedule for every MSP: the body of the worker's ``run_due_schedules`` actor.

Decision: one unit of work per MSP, not one for the whole fleet. Row-level security scopes a
transaction to one MSP, and one MSP's failure (a lock, a bad row) must not hold back the others'
scans. The list of MSP ids comes from ``posture_msp_ids()``, a definer function (``msps`` itself is
scoped by row-level security, so the application role reads only its own MSP's row); that read runs
on a plain connection, outside any unit of work, because it needs no scope and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.alerts import DeliveryQueue, queue_due_deliveries
from portal.services.outbox import OutboxQueue
from portal.services.reports import ReportQueue
from portal.services.risks import lapse_expired
from portal.services.scans._queue import ScanQueue
from portal.services.scans._start import enqueue_due_scans, resend_stranded_scans
from portal.services.service_status import msp_suspension
from portal.services.summaries import queue_due_summaries, queue_due_summary_deliveries

__all__ = ["SCHEDULER_ACTOR", "run_due_schedules"]

log = logging.getLogger(__name__)

#: Who the audit trail and the scope say acts for the schedule.
SCHEDULER_ACTOR = "system:scheduler"


def run_due_schedules(engine: Engine, now: dt.datetime, *, queue: ScanQueue,
                      deliveries: DeliveryQueue | None = None, reports: ReportQueue | None = None,
                      summaries: OutboxQueue | None = None) -> int:
    """Queue the scans that are due across all MSPs; hand out the alert deliveries whose time has come
    (``deliveries``); make the email summaries that are due (their reports asked of ``reports``) and
    hand out their deliveries (``summaries``). Returns how many scans were queued."""

    with engine.connect() as connection:
        # msps is scoped by RLS; this definer function lists ids only (migration 0001).
        msp_ids = list(connection.scalars(text("SELECT posture_msp_ids()")))
    queued = 0
    for msp_id in msp_ids:
        try:
            with unit_of_work(engine, Scope.for_msp(msp_id, actor=SCHEDULER_ACTOR)) as uow:
                if msp_suspension(uow) is not None:
                    continue  # suspended by the platform operator: no scans, no mail, until reactivated
                resend_stranded_scans(uow, now, queue=queue)
                lapse_expired(uow, now)  # accepted risks that ran out count against the score again
                queued += len(enqueue_due_scans(uow, now, queue=queue))
                if deliveries is not None:
                    queue_due_deliveries(uow, now, send=deliveries)
                if reports is not None and summaries is not None:
                    queue_due_summaries(uow, now, reports=reports)
                    queue_due_summary_deliveries(uow, now, send=summaries)
        except DBAPIError:
            raise  # the database itself (a lost connection): the actor retries the whole tick
        except Exception:
            # One MSP's bad row must not hold back every MSP after it: logged, and tried again next tick.
            log.exception("the schedule of one MSP failed; the others go on", extra={"msp_id": str(msp_id)})
    if queued:
        log.info("scheduled scans queued", extra={"queued": queued, "msps": len(msp_ids)})
    return queued
