"""Alerts through a real broker and worker: a scan raises an alert, the next tick hands the delivery to
``deliver_alert``, and the worker posts it, signed, to a real receiver."""

from __future__ import annotations

import datetime as dt
import json

from dramatiq import Broker
from sqlalchemy import Engine, text

from config.messages import RUN_DUE_SCHEDULES, SCHEDULES_QUEUE, send
from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.alerts import create_channel, create_rule, verify_signature
from portal.services.scans import record_scan
from scanner import Status
from tests.portal.services.support import CRITICAL, MEDIUM, add_member, insert_scan, scan_result, seeded_customer
from tests.support.receiver import Receiver
from tests.worker.conftest import WorkerProcess, wait_for


def test_a_new_critical_reaches_the_webhook_through_the_worker(app_engine: Engine, web_engine: Engine,
                                                               owner_engine: Engine, producer: Broker, start_worker,
                                                               receiver: Receiver) -> None:
    seeded = seeded_customer(owner_engine)
    scope, admin = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, scope) as uow:
        made = create_channel(uow, web_engine, admin, kind="webhook", name="SOC", target=receiver.url,
                              allow_private=True)
    with unit_of_work(web_engine, scope) as uow:
        create_rule(uow, admin, condition="new_critical", channel_id=made.channel_id)
    # The first scan is where the customer's history starts; the second finds the critical failing.
    scans = (({MEDIUM: Status.PASS}, dt.timedelta(days=1)), ({CRITICAL: Status.FAIL}, dt.timedelta(minutes=1)))
    for verdicts, ago in scans:
        scan_id = insert_scan(owner_engine, seeded, status="running")
        with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
            record_scan(uow, scan_id, scan_result(verdicts, started_at=dt.datetime.now(dt.UTC) - ago))

    worker: WorkerProcess = start_worker(POSTURE_ALERTS_ALLOW_PRIVATE_TARGETS="true")
    send(producer, RUN_DUE_SCHEDULES, SCHEDULES_QUEUE)
    wait_for(lambda: receiver.requests, "the alert at the receiver", worker)
    [(headers, body)] = receiver.requests
    assert made.signing_secret is not None
    assert verify_signature(made.signing_secret, timestamp=headers["x-posture-timestamp"], body=body,
                            delivery_id=headers["x-posture-delivery"], signature=headers["x-posture-signature"])
    assert (json.loads(body)["check"]["id"], json.loads(body)["event"]) == (CRITICAL, "opened")


    def status() -> str:
        with owner_engine.connect() as connection:
            return str(connection.execute(text("SELECT status FROM alert_deliveries WHERE channel_id = :c"),
                                          {"c": made.channel_id}).scalar_one())

    # The worker records the answer in a transaction after the send: the receiver may see it first.
    wait_for(lambda: status() == "sent", "the delivery recorded as sent", worker)
    assert len(receiver.requests) == 1
