"""Actor and queue names, and how producers send messages without importing the actors.

Names are stable: they sit in queued messages, so renaming one strands every message already
queued under the old name. Producers (the web app, the schedule, tests) only need these names, not
the actor functions: :func:`send` builds the message and enqueues it on the broker, which is all
``Actor.send`` does, so a process that never runs actors need not declare them.
"""

from __future__ import annotations

import uuid
from typing import Any

import dramatiq
from dramatiq import Broker, Message

__all__ = [
    "DELIVER_ALERT",
    "DELIVER_SUMMARY",
    "PROBE_CONNECTION",
    "QUEUES",
    "RENDER_REPORT",
    "RESCORE_CUSTOMER",
    "RUN_DUE_SCHEDULES",
    "SCANS_QUEUE",
    "SCAN_DEAD_LETTER",
    "SCAN_TENANT",
    "SCHEDULES_QUEUE",
    "BrokerConnectionCheck",
    "BrokerDeliveryQueue",
    "BrokerReportQueue",
    "BrokerRescoreQueue",
    "BrokerScanGroup",
    "BrokerScanQueue",
    "BrokerSummaryQueue",
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
RESCORE_CUSTOMER = "rescore_customer"
DELIVER_ALERT = "deliver_alert"
RENDER_REPORT = "render_report"
DELIVER_SUMMARY = "deliver_summary"


def send(broker: Broker, actor_name: str, queue_name: str, *, delay_ms: int | None = None,
         **kwargs: Any) -> Message[Any]:
    """Enqueue one message for ``actor_name`` (keyword arguments: ids and scalars only), to be
    delivered at once or ``delay_ms`` from now."""
    message: Message[Any] = Message(queue_name=queue_name, actor_name=actor_name, args=(), kwargs=kwargs, options={})
    return broker.enqueue(message, delay=delay_ms)


class BrokerScanQueue:
    """The ``portal.services.scans.ScanQueue`` that sends ``scan_tenant`` messages on a broker."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def __call__(self, *, scan_id: uuid.UUID, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        send(self.broker, SCAN_TENANT, SCANS_QUEUE, scan_id=str(scan_id), msp_id=str(msp_id),
             customer_id=str(customer_id))


class BrokerScanGroup:
    """The ``portal.services.reverify.ScanGroup``: every ``scan_tenant`` message of a re-verify, sent as
    one Dramatiq group, so the workers take them in parallel."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def __call__(self, scans: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> None:
        messages: list[Message[Any]] = [
            Message(queue_name=SCANS_QUEUE, actor_name=SCAN_TENANT, args=(),
                    kwargs={"scan_id": str(scan_id), "msp_id": str(msp_id), "customer_id": str(customer_id)},
                    options={})
            for scan_id, msp_id, customer_id in scans]
        dramatiq.group(messages, broker=self.broker).run()


class BrokerConnectionCheck:
    """Asks for a ``probe_connection`` of one customer, ``delay_s`` from now (a worker's confirmation
    of a first failed connection)."""

    def __init__(self, broker: Broker, delay_s: int) -> None:
        self.broker, self.delay_s = broker, delay_s

    def __call__(self, *, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        send(self.broker, PROBE_CONNECTION, SCANS_QUEUE, delay_ms=self.delay_s * 1000, msp_id=str(msp_id),
             customer_id=str(customer_id))


class BrokerRescoreQueue:
    """The ``portal.services.risks.RescoreQueue``: asks a worker to recompute one customer's score
    (after a person accepted or revoked a risk: the web role cannot write scores)."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def __call__(self, *, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        send(self.broker, RESCORE_CUSTOMER, SCANS_QUEUE, msp_id=str(msp_id), customer_id=str(customer_id))


class BrokerDeliveryQueue:
    """The ``portal.services.alerts.DeliveryQueue``: asks a worker to send one alert delivery. On the
    schedules queue, so a fan-out of a thousand scans does not hold alerts back."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def __call__(self, *, delivery_id: uuid.UUID, msp_id: uuid.UUID) -> None:
        send(self.broker, DELIVER_ALERT, SCHEDULES_QUEUE, delivery_id=str(delivery_id), msp_id=str(msp_id))


class BrokerReportQueue:
    """The ``portal.services.reports.ReportQueue``: asks a worker to render one report. On the scans
    queue: a fleet report of hundreds of customers is long work, which the schedules queue must not wait on."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def __call__(self, *, msp_id: uuid.UUID, customer_id: uuid.UUID | None, report_id: uuid.UUID) -> None:
        send(self.broker, RENDER_REPORT, SCANS_QUEUE, msp_id=str(msp_id),
             customer_id=str(customer_id) if customer_id else None, report_id=str(report_id))


class BrokerSummaryQueue:
    """The ``portal.services.outbox.OutboxQueue`` of email summaries: asks a worker to send one summary
    delivery. On the schedules queue, with the alerts: short work that must not wait behind scans."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def __call__(self, *, delivery_id: uuid.UUID, msp_id: uuid.UUID) -> None:
        send(self.broker, DELIVER_SUMMARY, SCHEDULES_QUEUE, delivery_id=str(delivery_id), msp_id=str(msp_id))
