"""Actor and queue names, and how producers send messages without importing the actors.

Names are stable: they sit in queued messages, so renaming one strands every message already
queued under the old name. Producers (the web app, the schedule, tests) only need these names, not
the actor functions: :func:`send` builds the message and enqueues it on the broker, which is all
``Actor.send`` does, so a process that never runs actors need not declare them.
"""

from __future__ import annotations

import uuid
from typing import Any

from dramatiq import Broker, Message

__all__ = [
    "PROBE_CONNECTION",
    "QUEUES",
    "RUN_DUE_SCHEDULES",
    "SCANS_QUEUE",
    "SCAN_DEAD_LETTER",
    "SCAN_TENANT",
    "SCHEDULES_QUEUE",
    "BrokerScanQueue",
    "send",
]

SCANS_QUEUE = "scans"
SCHEDULES_QUEUE = "schedules"
#: Every queue our actors consume.
QUEUES = (SCANS_QUEUE, SCHEDULES_QUEUE)

SCAN_TENANT = "scan_tenant"
SCAN_DEAD_LETTER = "scan_dead_letter"
PROBE_CONNECTION = "probe_connection"
RUN_DUE_SCHEDULES = "run_due_schedules"


def send(broker: Broker, actor_name: str, queue_name: str, **kwargs: Any) -> Message[Any]:
    """Enqueue one message for ``actor_name`` (keyword arguments: ids and scalars only)."""
    message: Message[Any] = Message(queue_name=queue_name, actor_name=actor_name, args=(), kwargs=kwargs, options={})
    return broker.enqueue(message)


class BrokerScanQueue:
    """The ``portal.services.scans.ScanQueue`` that sends ``scan_tenant`` messages on a broker."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def __call__(self, *, scan_id: uuid.UUID, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        send(self.broker, SCAN_TENANT, SCANS_QUEUE, scan_id=str(scan_id), msp_id=str(msp_id),
             customer_id=str(customer_id))
