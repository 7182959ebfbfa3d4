"""Email summaries through a real broker and worker: the tick finds a summary due, the worker renders its
report, and the summary leaves over SMTP, to a real server (aiosmtpd), with the PDF attached, once."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

from dramatiq import Broker
from sqlalchemy import Engine, text

from config.messages import DELIVER_SUMMARY, RUN_DUE_SCHEDULES, SCHEDULES_QUEUE, send
from portal.db.models import Role
from portal.db.uow import unit_of_work
from portal.services.summaries import save_summary_config
from scanner import Status
from tests.portal.services.support import CRITICAL, HIGH, add_member, record_verdicts, seeded_customer
from tests.support.database import set_scope
from tests.support.smtp import running_inbox
from tests.worker.conftest import WorkerProcess, wait_for


def test_a_due_summary_is_rendered_and_mailed_by_the_worker_once(app_engine: Engine, web_engine: Engine,
                                                                 owner_engine: Engine, producer: Broker,
                                                                 start_worker) -> None:
    seeded = seeded_customer(owner_engine, name="Wingtip Toys")
    record_verdicts(owner_engine, app_engine, seeded, {CRITICAL: Status.FAIL, HIGH: Status.PASS},
                    dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        save_summary_config(uow, seeded.customer_id, cadence="weekly", include_customer_users=False,
                            extra_recipients="board@wingtip.test", now=dt.datetime.now(dt.UTC))
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE summary_settings SET next_due_at = now() - interval '1 minute' "
                                "WHERE customer_id = :c"), {"c": seeded.customer_id})

    def deliveries() -> list[tuple[object, ...]]:
        with owner_engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(
                "SELECT id, status, attempts, smtp_code FROM summary_deliveries WHERE customer_id = :c"),
                {"c": seeded.customer_id})]

    with running_inbox() as (inbox, port):
        worker: WorkerProcess = start_worker(POSTURE_SMTP_HOST="127.0.0.1", POSTURE_SMTP_PORT=str(port),
                                             POSTURE_SMTP_TLS="none", POSTURE_MAIL_FROM="reports@msp.test",
                                             POSTURE_PUBLIC_URL="https://posture.msp.test")
        send(producer, RUN_DUE_SCHEDULES, SCHEDULES_QUEUE)
        # The report is rendered first; its actor then hands the waiting delivery to the summary actor.
        wait_for(lambda: inbox.raw, "the summary at the SMTP server", worker)
        wait_for(lambda: [d[1] for d in deliveries()] == ["sent"], "the delivery recorded as sent", worker)
        [(delivery_id, _, attempts, code)] = deliveries()
        assert (attempts, code) == (1, 250)
        # The same message again (a broker's redelivery): claimed already, nothing is sent.
        send(producer, DELIVER_SUMMARY, SCHEDULES_QUEUE, delivery_id=str(delivery_id), msp_id=str(seeded.msp_id))
        # And the summary due again in the same week (a clock set back, two ticks at once): no second send.
        with owner_engine.begin() as connection:
            set_scope(connection, seeded.msp_id)
            connection.execute(text("UPDATE summary_settings SET next_due_at = now() WHERE customer_id = :c"),
                               {"c": seeded.customer_id})
        send(producer, RUN_DUE_SCHEDULES, SCHEDULES_QUEUE)

        def ticked() -> bool:
            with owner_engine.connect() as connection:
                return bool(connection.execute(text(
                    "SELECT next_due_at > now() + interval '1 minute' FROM summary_settings WHERE customer_id = :c"),
                    {"c": seeded.customer_id}).scalar_one())

        wait_for(ticked, "the second tick", worker)
        [mail] = [message_from_bytes(raw, policy=policy.default) for raw in inbox.raw]
    assert str(mail["To"]) == "board@wingtip.test" and "Wingtip Toys" in str(mail["Subject"])
    [pdf] = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF-")
    assert str(mail["List-Unsubscribe"]).startswith("<https://posture.msp.test/unsubscribe/")
    assert deliveries() == [(delivery_id, "sent", 1, 250)]
