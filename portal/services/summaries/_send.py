"""Sending summaries: the schedule makes a send of a new report, one delivery per recipient; workers
send each delivery once, retry temporary failures, and keep every outcome for the delivery log.

- :func:`queue_due_summaries` (the tick, every minute, per MSP): every customer whose summary is due
  gets the next version of its report requested and one delivery per recipient (its users unless
  left out, its extra addresses, minus those who unsubscribed); the next due time moves on in the same
  transaction, and the send is unique per customer and period, so two ticks cannot send it twice.
- :func:`send_test`: the portal's "Send a test": the latest report (or a new one) to the person asking.
- :func:`deliver_summary` (the ``deliver_summary`` actor): the outbox's claim (``portal.services.outbox``):
  once per lease, the attempt counted before the relay is called. A delivery whose report is still
  rendering waits without using an attempt; one whose report failed, or whose address unsubscribed
  since, is closed with the reason. A 4xx reply or an unreachable relay is tried again with backoff; a
  5xx reply gives up.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import Engine, exists, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.db.models import Report, SummaryDelivery, SummarySend, SummarySetting, SummaryUnsubscribe
from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.mail import MailSender, smtp_failure
from portal.services.outbox import (
    MAX_ATTEMPTS,
    OutboxQueue,
    attempted_since_lease,
    count_attempt,
    lease_due,
    settle,
)
from portal.services.reports import (
    ExecutiveReport,
    ReportQueue,
    latest_reportable_scan,
    report_content,
    request_report,
)
from portal.services.summaries._cadence import next_due, period_of
from portal.services.summaries._message import compose_summary, render_summary
from portal.services.summaries._settings import recipients_of, summary_config
from portal.services.summaries._unsubscribe import unsubscribe_path

__all__ = [
    "SUMMARIES_ACTOR",
    "DeliveryLine",
    "deliver_summary",
    "delivery_log",
    "preview_summary",
    "queue_due_summaries",
    "queue_due_summary_deliveries",
    "send_test",
    "waiting_for_report",
]

log = logging.getLogger(__name__)

SUMMARIES_ACTOR = "system:summaries"
#: How often a delivery looks again for its report while the report renders.
_REPORT_WAIT = dt.timedelta(minutes=1)
#: The deliveries' address CHECK (migration 0023), checked before the insert.
_DELIVERABLE = re.compile(r"[^@\s]+@[^@\s]+")
#: A report not rendered in this long will not be: the delivery gives up and says so.
_REPORT_PATIENCE = dt.timedelta(hours=6)


def _filename(content: ExecutiveReport) -> str:
    return f"security-report-{content.scanned_at.date().isoformat()}-v{content.version}.pdf"


def _customer_link(portal_url: str, customer_id: uuid.UUID) -> str:
    return f"{portal_url.rstrip('/')}/customers/{customer_id}"


def queue_due_summaries(uow: UnitOfWork, now: dt.datetime, *, reports: ReportQueue, limit: int = 200) -> int:
    """Make the sends whose time has come in scope (their reports asked of ``reports`` after commit);
    returns how many were made."""
    due = list(uow.session.scalars(select(SummarySetting).where(SummarySetting.next_due_at <= now)
                                   .order_by(SummarySetting.next_due_at).limit(limit)
                                   .with_for_update(skip_locked=True)))
    made = 0
    for setting in due:
        assert setting.next_due_at is not None
        period = period_of(setting.cadence, setting.next_due_at)  # type: ignore[arg-type]
        setting.next_due_at = next_due(setting.cadence, now)  # type: ignore[arg-type]  # one send, however late
        config = summary_config(uow, setting.customer_id)
        # Only what the deliveries' CHECK accepts: one odd account address must not fail the tick.
        addresses = [r.address.lower() for r in recipients_of(uow, setting.customer_id, config)
                     if not r.unsubscribed and _DELIVERABLE.fullmatch(r.address) and len(r.address) <= 320]
        if not addresses or uow.session.scalar(select(exists().where(
                SummarySend.customer_id == setting.customer_id, SummarySend.period == period))):
            continue
        try:
            with uow.session.begin_nested():
                report_id = request_report(uow, setting.customer_id)
                send_id = _insert_send(uow, setting.msp_id, setting.customer_id, report_id, "scheduled", period)
                for address in addresses:
                    uow.session.execute(insert(SummaryDelivery).values(
                        id=uuid.uuid4(), msp_id=setting.msp_id, customer_id=setting.customer_id, send_id=send_id,
                        address=address, next_attempt_at=now))  # due by the tick's clock, not the database's
        except (Conflict, NotFound) as exc:  # no finished scan yet: nothing to report this period
            log.info("summary skipped", extra={"customer_id": str(setting.customer_id), "reason": str(exc)})
            continue
        except IntegrityError as exc:  # this customer's data, not the tick: the others still go out
            log.error("summary not queued", extra={"customer_id": str(setting.customer_id),
                                                   "reason": type(exc.orig).__name__})
            continue
        uow.after_commit(lambda m=setting.msp_id, c=setting.customer_id, r=report_id: reports(
            msp_id=m, customer_id=c, report_id=r))
        made += 1
    if made:
        log.info("summaries queued", extra={"sends": made})
    return made


def queue_due_summary_deliveries(uow: UnitOfWork, now: dt.datetime, *, send: OutboxQueue, limit: int = 500) -> int:
    """The tick's lease of due summary deliveries (``portal.services.outbox``)."""
    return lease_due(uow, SummaryDelivery, now, send=send, limit=limit)


def _insert_send(uow: UnitOfWork, msp_id: uuid.UUID, customer_id: uuid.UUID, report_id: uuid.UUID, kind: str,
                 period: str | None) -> uuid.UUID:
    send_id = uuid.uuid4()
    values = {"id": send_id, "msp_id": msp_id, "customer_id": customer_id, "report_id": report_id, "kind": kind}
    uow.session.execute(insert(SummarySend).values(**values, **({"period": period} if period else {})))
    return send_id


def send_test(uow: UnitOfWork, customer_id: uuid.UUID, *, to: str, queue: OutboxQueue,
              reports: ReportQueue) -> uuid.UUID:
    """Send the customer's summary to ``to`` (the person asking): its latest report of its latest scan,
    or a new one (asked of ``reports``). Returns the delivery's id; both are sent after commit.

    Raises:
        NotFound, Conflict (no finished scan), Forbidden: as :func:`request_report`.
    """
    scan = latest_reportable_scan(uow, customer_id)
    report_id = uow.session.scalar(select(Report.id).where(Report.scan_id == scan.id, Report.status == "ready")
                                   .order_by(Report.version.desc()).limit(1))
    if report_id is None:
        report_id = request_report(uow, customer_id)
        uow.after_commit(lambda r=report_id: reports(msp_id=scan.msp_id, customer_id=customer_id, report_id=r))
    try:
        with uow.session.begin_nested():
            send_id = _insert_send(uow, scan.msp_id, customer_id, report_id, "test", None)
            delivery_id = uuid.uuid4()
            uow.session.execute(insert(SummaryDelivery).values(id=delivery_id, msp_id=scan.msp_id,
                                                               customer_id=customer_id, send_id=send_id,
                                                               address=to.strip().lower()))
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig):
            raise Forbidden("your role, or the MSP's tier for this customer, does not allow sending its summary") \
                from None
        if "check constraint" in str(exc.orig):
            raise InvalidInput("your account's email address cannot receive mail") from None
        raise
    uow.after_commit(lambda: queue(delivery_id=delivery_id, msp_id=scan.msp_id))
    return delivery_id


def waiting_for_report(uow: UnitOfWork, report_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The pending deliveries of a report just rendered, (id, msp) each, to send now rather than at the
    next tick (their claim makes a second message harmless)."""
    rows = uow.session.execute(select(SummaryDelivery.id, SummaryDelivery.msp_id)
                               .join(SummarySend, SummarySend.id == SummaryDelivery.send_id)
                               .where(SummarySend.report_id == report_id, SummaryDelivery.status == "pending"))
    return [(row.id, row.msp_id) for row in rows]


def preview_summary(uow: UnitOfWork, customer_id: uuid.UUID, *, portal_url: str) -> str:
    """The summary of the customer's latest scan as HTML, as its recipients would see it (the logo
    inlined, the unsubscribe link inert). Raises ``Conflict`` when it has no finished scan."""
    scan = latest_reportable_scan(uow, customer_id)
    latest = uow.session.scalar(select(func.max(Report.version)).where(Report.scan_id == scan.id))
    draft = Report(msp_id=scan.msp_id, customer_id=customer_id, scan_id=scan.id, kind="executive",
                   version=(latest or 0) + 1, note="", requested_at=dt.datetime.now(dt.UTC))
    content = report_content(uow, draft)
    logo = content.brand.logo
    return render_summary(content, portal_link=_customer_link(portal_url, customer_id), unsubscribe_url="#",
                          filename=_filename(content), pages=None,
                          logo_src=logo.data_uri() if logo and logo.media_type == "image/png" else None).html


@dataclass(frozen=True)
class DeliveryLine:
    id: uuid.UUID
    created_at: dt.datetime
    kind: str
    period: str | None
    address: str
    status: str
    attempts: int
    smtp_code: int | None
    outcome: str | None
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime


def delivery_log(uow: UnitOfWork, customer_id: uuid.UUID, *, limit: int = 50) -> list[DeliveryLine]:
    """The customer's latest deliveries, newest first."""
    rows = uow.session.execute(
        select(SummaryDelivery.id, SummaryDelivery.created_at, SummarySend.kind, SummarySend.period,
               SummaryDelivery.address, SummaryDelivery.status, SummaryDelivery.attempts, SummaryDelivery.smtp_code,
               SummaryDelivery.outcome, SummaryDelivery.sent_at, SummaryDelivery.next_attempt_at)
        .join(SummarySend, SummarySend.id == SummaryDelivery.send_id)
        .where(SummaryDelivery.customer_id == customer_id)
        .order_by(SummaryDelivery.created_at.desc(), SummaryDelivery.address).limit(limit))
    return [DeliveryLine(*row) for row in rows]


@dataclass(frozen=True)
class _Outbound:
    delivery_id: uuid.UUID
    attempt: int
    message: EmailMessage


def deliver_summary(engine: Engine, delivery_id: uuid.UUID, msp_id: uuid.UUID, *, mailer: MailSender | None,
                    from_address: str, portal_url: str,
                    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> str | None:
    """Send one delivery if this message may; returns its status afterwards (None: nothing to do)."""
    scope = Scope.for_msp(msp_id, actor=SUMMARIES_ACTOR)
    with unit_of_work(engine, scope) as uow:
        claimed = _claim(uow, engine, delivery_id, mailer, from_address, portal_url, clock())
    if not isinstance(claimed, _Outbound):
        return claimed
    assert mailer is not None
    try:
        reply = mailer.send(claimed.message)
        code, outcome, retry = 250, reply or "accepted", False
        if reply and reply[:3].isdigit():
            code = int(reply[:3])
    except OSError as exc:  # smtplib's errors are OSErrors
        code, outcome, retry = smtp_failure(exc)
        outcome = f"failed: {outcome}"
    with unit_of_work(engine, scope) as uow:
        status = _record(uow, claimed, code, outcome, retry, clock())
    log.info("summary delivery attempted", extra={"delivery_id": str(delivery_id), "status": status,
                                                  "attempts": claimed.attempt, "code": code})
    return status


def _claim(uow: UnitOfWork, engine: Engine, delivery_id: uuid.UUID, mailer: MailSender | None, from_address: str,
           portal_url: str, now: dt.datetime) -> _Outbound | str | None:
    delivery = uow.session.scalar(select(SummaryDelivery).where(SummaryDelivery.id == delivery_id)
                                  .with_for_update(skip_locked=True))
    if delivery is None or delivery.status != "pending" or attempted_since_lease(delivery):
        return None  # sent, closed, held by another worker, or this message is a duplicate
    send = uow.session.get(SummarySend, delivery.send_id)
    report = uow.session.get(Report, send.report_id) if send else None
    assert send is not None and report is not None
    if uow.session.scalar(select(exists().where(SummaryUnsubscribe.customer_id == delivery.customer_id,
                                                SummaryUnsubscribe.address == delivery.address))):
        delivery.status, delivery.outcome = "unsubscribed", "not sent: the address unsubscribed"
        return delivery.status
    if report.status == "failed":
        delivery.status = "gave_up"
        delivery.outcome = f"not sent: the report could not be rendered ({report.failure_reason or 'no reason'})"[:500]
        return delivery.status
    if report.status == "queued":
        if now - delivery.created_at > _REPORT_PATIENCE:
            delivery.status, delivery.outcome = "gave_up", "not sent: the report was not rendered in time"
        else:
            delivery.next_attempt_at, delivery.outcome = now + _REPORT_WAIT, "waiting for the report to be rendered"
        return delivery.status
    if mailer is None:  # waits for a relay to be configured, as alerts do, without using an attempt
        delivery.next_attempt_at = now + _REPORT_WAIT * 5
        delivery.outcome = "waiting: no SMTP relay is configured (POSTURE_SMTP_HOST)"
        return delivery.status
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "gave_up"
        delivery.outcome = f"no answer recorded after {delivery.attempts} attempts"
        return delivery.status
    count_attempt(delivery, now)
    try:
        content = report_content(uow, report)
        message = compose_summary(
            content, to=delivery.address, from_address=from_address, delivery_id=delivery.id,
            pdf=bytes(report.pdf or b""), filename=_filename(content), pages=report.pages,
            portal_link=_customer_link(portal_url, delivery.customer_id),
            unsubscribe_url=portal_url.rstrip("/") + unsubscribe_path(engine, delivery.id), test=send.kind == "test")
    except DBAPIError:
        raise  # the database, not the message: the actor retries, and the attempt rolls back with this
    except Exception as exc:  # a message that cannot be built now will not be built on a retry either
        log.exception("summary not built", extra={"delivery_id": str(delivery.id)})
        delivery.status = "gave_up"
        delivery.outcome = f"not sent: the message could not be built ({type(exc).__name__})"
        return delivery.status
    return _Outbound(delivery.id, delivery.attempts, message)


def _record(uow: UnitOfWork, sent: _Outbound, code: int | None, outcome: str, retry: bool, now: dt.datetime) -> str:
    delivery = uow.session.scalar(select(SummaryDelivery).where(SummaryDelivery.id == sent.delivery_id)
                                  .with_for_update())
    assert delivery is not None
    if settle(delivery, sent.attempt, sent=not outcome.startswith("failed: "), retry=retry, now=now):
        delivery.smtp_code, delivery.outcome = code, outcome[:500]
    return delivery.status
