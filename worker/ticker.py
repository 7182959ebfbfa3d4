"""The clock of the schedule: send ``run_due_schedules`` every minute.

Dramatiq has no periodic tasks, so the worker runs this as a fork process
(``--fork-function worker.ticker:tick_schedules``, added by ``worker.runner``). Every worker host
ticks; that is harmless (the actor claims due customers with ``SKIP LOCKED``) and means the
schedule keeps running as long as any worker does. The ticker only sends: it declares no actors
and opens no database engine of its own (the PostgreSQL broker's pool aside).
"""

from __future__ import annotations

import logging
import time

from dramatiq import Broker

from config.broker import broker_from_settings
from config.messages import RUN_DUE_SCHEDULES, SCHEDULES_QUEUE, send
from config.settings import load_settings

__all__ = ["TICK_INTERVAL_S", "tick", "tick_schedules"]

log = logging.getLogger(__name__)

#: Seconds between two ``run_due_schedules`` messages.
TICK_INTERVAL_S = 60.0


def tick_schedules() -> int:
    """Send ``run_due_schedules`` every ``TICK_INTERVAL_S`` until the process is stopped."""
    settings = load_settings()
    tick(broker_from_settings(settings, publisher=True), interval_s=TICK_INTERVAL_S)
    return 0


def tick(broker: Broker, *, interval_s: float, ticks: int | None = None) -> None:
    """Send ``run_due_schedules`` on ``broker`` every ``interval_s`` seconds, ``ticks`` times (None: forever)."""
    log.info("schedule ticker started", extra={"interval_s": interval_s})
    sent = 0
    while ticks is None or sent < ticks:
        if sent:
            time.sleep(interval_s)
        send(broker, RUN_DUE_SCHEDULES, SCHEDULES_QUEUE)
        sent += 1
