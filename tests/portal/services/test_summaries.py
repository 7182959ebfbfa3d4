"""Email summaries against PostgreSQL and a real SMTP server (aiosmtpd): when they are due, what the
message is (MIME, headers, attachment), retries and refusals, redelivered messages, unsubscribing,
and what the database lets each role do.

Expected dates are written from the cadence's definition (07:00 UTC; Mondays, the 1st, the quarter's
first day), never computed by the function under test.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.mail import SmtpSender
from portal.services.outbox import BACKOFF
from portal.services.reports import render_stored_report, request_report
from portal.services.summaries import (
    deliver_summary,
    delivery_log,
    next_due,
    period_of,
    preview_summary,
    queue_due_summaries,
    queue_due_summary_deliveries,
    recipients_of,
    save_summary_config,
    send_test,
    summary_config,
    unsubscribe,
    unsubscription_of,
)
from scanner import Status
from tests.portal.services.support import (
    CRITICAL,
    HIGH,
    MEDIUM,
    Seeded,
    add_member,
    make_customer,
    record_verdicts,
    seeded_customer,
)
from tests.support.database import set_scope
from tests.support.smtp import running_inbox

PORTAL = "https://posture.msp.test"
FROM = "reports@msp.test"
UTC = dt.UTC


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --- cadence (pure) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cadence", "after", "due"), [
    ("weekly", _at(2026, 12, 2, 10), _at(2026, 12, 7, 7)),        # a Wednesday: next Monday
    ("weekly", _at(2026, 12, 7, 6, 59), _at(2026, 12, 7, 7)),     # Monday before seven: today
    ("weekly", _at(2026, 12, 7, 7), _at(2026, 12, 14, 7)),        # Monday at seven: the next one
    ("monthly", _at(2026, 12, 1, 6), _at(2026, 12, 1, 7)),
    ("monthly", _at(2026, 12, 1, 7), _at(2027, 1, 1, 7)),         # over the year's end
    ("monthly", _at(2027, 1, 31, 23), _at(2027, 2, 1, 7)),
    ("quarterly", _at(2026, 11, 15), _at(2027, 1, 1, 7)),
    ("quarterly", _at(2027, 1, 1, 7), _at(2027, 4, 1, 7)),
    ("quarterly", _at(2027, 8, 31), _at(2027, 10, 1, 7)),
    ("off", _at(2026, 12, 2), None),
])
def test_the_next_summary_is_at_seven_utc_on_its_day(cadence, after, due) -> None:
    assert next_due(cadence, after) == due


def test_a_time_in_another_zone_is_read_in_utc() -> None:
    # 08:30 on Monday in Paris is 07:30 UTC: past this Monday's send.
    paris = dt.timezone(dt.timedelta(hours=1))
    assert next_due("weekly", dt.datetime(2026, 12, 7, 8, 30, tzinfo=paris)) == _at(2026, 12, 14, 7)


@pytest.mark.parametrize(("cadence", "due", "period"), [
    ("weekly", _at(2026, 12, 28, 7), "2026-W53"), ("weekly", _at(2027, 1, 4, 7), "2027-W01"),
    ("monthly", _at(2027, 1, 1, 7), "2027-01"), ("quarterly", _at(2026, 10, 1, 7), "2026-Q4"),
])
def test_each_send_belongs_to_one_period(cadence, due, period) -> None:
    assert period_of(cadence, due) == period


# --- the world -----------------------------------------------------------------------------------------


def _reportable(owner: Engine, app: Engine, **kwargs: object) -> Seeded:
    """A customer with two scans (so the summary has a change to tell) and an MSP admin."""
    seeded = seeded_customer(owner, **kwargs)
    record_verdicts(owner, app, seeded, {CRITICAL: Status.PASS, HIGH: Status.PASS, MEDIUM: Status.FAIL},
                    dt.datetime.now(UTC) - dt.timedelta(days=30))
    record_verdicts(owner, app, seeded, {CRITICAL: Status.FAIL, HIGH: Status.PASS, MEDIUM: Status.FAIL},
                    dt.datetime.now(UTC) - dt.timedelta(hours=1))
    return seeded


def _make_due(owner: Engine, seeded: Seeded, when: dt.datetime) -> None:
    with owner.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE summary_settings SET next_due_at = :t WHERE customer_id = :c"),
                           {"t": when, "c": seeded.customer_id})


class _Captured:
    def __init__(self) -> None:
        self.messages: list[dict[str, uuid.UUID | None]] = []

    def __call__(self, **message: uuid.UUID | None) -> None:
        self.messages.append(message)


def _tick(app: Engine, seeded: Seeded, now: dt.datetime) -> tuple[int, list[uuid.UUID]]:
    """The schedule's tick, as the worker runs it: due sends made, their reports rendered, deliveries leased."""
    reports, deliveries = _Captured(), _Captured()
    with unit_of_work(app, Scope.for_msp(seeded.msp_id, actor="system:schedule")) as uow:
        made = queue_due_summaries(uow, now, reports=reports)
    for asked in reports.messages:
        assert render_stored_report(app, asked["report_id"], seeded.msp_id, seeded.customer_id) == "ready"
    with unit_of_work(app, Scope.for_msp(seeded.msp_id, actor="system:schedule")) as uow:
        queue_due_summary_deliveries(uow, now, send=deliveries)
    return made, [m["delivery_id"] for m in deliveries.messages]  # type: ignore[misc]


def _deliver(app: Engine, seeded: Seeded, delivery_id: uuid.UUID, port: int,
             now: dt.datetime | None = None) -> str | None:
    mailer = SmtpSender("127.0.0.1", port, FROM, tls="none")
    return deliver_summary(app, delivery_id, seeded.msp_id, mailer=mailer, from_address=FROM, portal_url=PORTAL,
                           **({"clock": lambda: now} if now else {}))


def _deliveries(owner: Engine, seeded: Seeded) -> list[dict[str, object]]:
    with owner.connect() as connection:
        rows = connection.execute(text("SELECT address, status, attempts, smtp_code, outcome, next_attempt_at "
                                       "FROM summary_deliveries WHERE customer_id = :c ORDER BY address"),
                                  {"c": seeded.customer_id}).mappings()
        return [dict(r) for r in rows]


def _parsed(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def _configure(web: Engine, scope: Scope, seeded: Seeded, **overrides: object) -> None:
    values = {"cadence": "monthly", "include_customer_users": True, "extra_recipients": "Board@Fourth.test",
              "now": dt.datetime.now(UTC), **overrides}
    with unit_of_work(web, scope) as uow:
        save_summary_config(uow, seeded.customer_id, **values)  # type: ignore[arg-type]


# --- a scheduled summary, end to end -------------------------------------------------------------------


def test_a_due_summary_reaches_each_recipient_once_with_its_report(owner_engine, web_engine, app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine, name="Fourth <b>Coffee</b>")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    reader, _ = add_member(owner_engine, seeded.msp_id, Role.CUSTOMER_VIEWER, seeded.customer_id)
    _configure(web_engine, admin, seeded)
    now = dt.datetime.now(UTC)
    _make_due(owner_engine, seeded, now - dt.timedelta(minutes=1))

    made, leased = _tick(app_engine, seeded, now)
    assert made == 1 and len(leased) == 2  # the customer's user and the board's address
    with running_inbox() as (inbox, port):
        assert sorted(_deliver(app_engine, seeded, d, port) for d in leased) == ["sent", "sent"]
        # A redelivered message, and the next tick in the same period, send nothing more.
        assert [_deliver(app_engine, seeded, d, port) for d in leased] == [None, None]
        _make_due(owner_engine, seeded, now)
        assert _tick(app_engine, seeded, now + dt.timedelta(minutes=1)) == (0, [])
        inbox.wait(2)
        mails = [_parsed(m) for m in inbox.raw]
    # On the wire, the URL is the header's plain value (not an RFC 2047 word a client cannot follow).
    assert all(f"\r\nList-Unsubscribe: <{PORTAL}/unsubscribe/".encode() in m for m in inbox.raw)
    assert sorted(str(m["To"]) for m in mails) == sorted(["board@fourth.test", f"{reader.user_id.hex}@members.test"])
    assert [d["status"] for d in _deliveries(owner_engine, seeded)] == ["sent", "sent"]
    assert all(d["smtp_code"] == 250 for d in _deliveries(owner_engine, seeded))

    mail = mails[0]
    # multipart/mixed: [alternative: [text, html], the PDF]; no logo set, so the HTML stands alone.
    assert mail.get_content_type() == "multipart/mixed"
    alternative, attachment = mail.get_payload()  # type: ignore[misc]
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "application/pdf" and attachment.get_content_disposition() == "attachment"
    assert re.fullmatch(r"security-report-\d{4}-\d\d-\d\d-v1\.pdf", attachment.get_filename())
    with owner_engine.connect() as connection:
        stored = connection.execute(text("SELECT r.pdf FROM reports r JOIN summary_sends s ON s.report_id = r.id "
                                         "WHERE s.customer_id = :c"), {"c": seeded.customer_id}).scalar_one()
    assert attachment.get_content() == bytes(stored) and bytes(stored).startswith(b"%PDF-")

    # Headers: one-click unsubscribe (RFC 8058), automated-mail markers, a Message-ID per delivery.
    unsubscribe_url = str(mail["List-Unsubscribe"]).strip("<>")
    assert unsubscribe_url.startswith(f"{PORTAL}/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"<[0-9a-f-]{36}@msp\.test>", str(mail["Message-ID"]))
    assert mails[0]["Message-ID"] != mails[1]["Message-ID"]
    assert mail["From"].addresses[0].addr_spec == FROM
    assert str(mail["Subject"]).startswith("Fourth <b>Coffee</b>: security summary for ")

    # The text: the score and its change, the critical that failed, the portal link, the way out.
    body = alternative.get_payload()[0].get_content()
    # The first summary of a customer is its first report: the change is counted from the next one.
    assert "Score: " in body and "Change: this is the first report" in body
    assert "1 critical and 0 high-severity issues open" in body
    assert f"{PORTAL}/customers/{seeded.customer_id}" in body and unsubscribe_url in body
    # The HTML: styles inlined (Gmail and Outlook drop <style>), the tenant's name escaped, no script.
    html = alternative.get_payload()[1].get_content()
    assert "<style" not in html and 'style="' in html and "<script" not in html.lower()
    assert "Fourth &lt;b&gt;Coffee&lt;/b&gt;" in html and "<b>Coffee" not in html
    assert f'href="{unsubscribe_url}"' in html


def test_nobody_to_send_to_or_no_finished_scan_makes_no_send(owner_engine, web_engine, app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    _configure(web_engine, admin, seeded, include_customer_users=False, extra_recipients="")
    now = dt.datetime.now(UTC)
    _make_due(owner_engine, seeded, now)
    assert _tick(app_engine, seeded, now) == (0, [])
    # The date still moved on: an empty send is not retried every minute.
    with unit_of_work(web_engine, admin) as uow:
        assert summary_config(uow, seeded.customer_id).next_due_at == next_due("monthly", now)

    bare = seeded_customer(owner_engine)  # no scan at all
    admin_b, _ = add_member(owner_engine, bare.msp_id, Role.MSP_ADMIN)
    _configure(web_engine, admin_b, bare)
    _make_due(owner_engine, bare, now)
    assert _tick(app_engine, bare, now) == (0, [])


# --- SMTP answers --------------------------------------------------------------------------------------


def _one_delivery(owner: Engine, web: Engine, app: Engine) -> tuple[Seeded, uuid.UUID]:
    seeded = _reportable(owner, app)
    admin, _ = add_member(owner, seeded.msp_id, Role.MSP_ADMIN)
    _configure(web, admin, seeded, include_customer_users=False, extra_recipients="ceo@fourth.test")
    now = dt.datetime.now(UTC)
    _make_due(owner, seeded, now)
    _, [delivery_id] = _tick(app, seeded, now)
    return seeded, delivery_id


def test_a_temporary_refusal_is_retried_later_and_then_sent(owner_engine, web_engine, app_engine) -> None:
    seeded, delivery_id = _one_delivery(owner_engine, web_engine, app_engine)
    with running_inbox() as (inbox, port):
        inbox.replies.append("451 4.7.1 Greylisted, try again later")
        now = dt.datetime.now(UTC)
        assert _deliver(app_engine, seeded, delivery_id, port, now) == "pending"
        [row] = _deliveries(owner_engine, seeded)
        assert (row["attempts"], row["smtp_code"]) == (1, 451) and "Greylisted" in str(row["outcome"])
        assert row["next_attempt_at"] >= now + BACKOFF[0]
        assert inbox.messages == []
        # Not before its time: the tick leases it only once the backoff has passed.
        assert _tick(app_engine, seeded, now + dt.timedelta(seconds=5))[1] == []
        later = now + BACKOFF[0] + dt.timedelta(seconds=1)
        assert _tick(app_engine, seeded, later)[1] == [delivery_id]
        assert _deliver(app_engine, seeded, delivery_id, port, later) == "sent"
        assert len(inbox.wait(1)) == 1 and inbox.refused == 1
    [row] = _deliveries(owner_engine, seeded)
    assert (row["status"], row["attempts"], row["smtp_code"]) == ("sent", 2, 250)


def test_a_permanent_refusal_gives_up_with_the_relays_answer(owner_engine, web_engine, app_engine) -> None:
    seeded, delivery_id = _one_delivery(owner_engine, web_engine, app_engine)
    with running_inbox() as (inbox, port):
        inbox.replies.append("550 5.1.1 ceo@fourth.test: mailbox unavailable")
        assert _deliver(app_engine, seeded, delivery_id, port) == "gave_up"
    [row] = _deliveries(owner_engine, seeded)
    assert (row["status"], row["smtp_code"]) == ("gave_up", 550) and "mailbox unavailable" in str(row["outcome"])
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        [line] = delivery_log(uow, seeded.customer_id)
    assert (line.status, line.smtp_code, line.period) == ("gave_up", 550, period_of("monthly", dt.datetime.now(UTC)))


def test_an_unreachable_relay_is_retried_not_lost(owner_engine, web_engine, app_engine) -> None:
    seeded, delivery_id = _one_delivery(owner_engine, web_engine, app_engine)
    with running_inbox() as (_, port):
        pass  # the server has stopped: nothing listens on the port now
    assert _deliver(app_engine, seeded, delivery_id, port) == "pending"
    [row] = _deliveries(owner_engine, seeded)
    assert row["attempts"] == 1 and str(row["outcome"]).startswith("failed: ")


def test_a_delivery_waits_for_its_report_without_using_an_attempt(owner_engine, web_engine, app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    _configure(web_engine, admin, seeded, include_customer_users=False, extra_recipients="cfo@fourth.test")
    now = dt.datetime.now(UTC)
    _make_due(owner_engine, seeded, now)
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        queue_due_summaries(uow, now, reports=_Captured())  # the report is asked for, not yet rendered
    with owner_engine.connect() as connection:
        delivery_id = connection.execute(text("SELECT id FROM summary_deliveries WHERE customer_id = :c"),
                                         {"c": seeded.customer_id}).scalar_one()
    with running_inbox() as (inbox, port):
        assert _deliver(app_engine, seeded, delivery_id, port, now) == "pending"
        assert inbox.messages == []
    [row] = _deliveries(owner_engine, seeded)
    assert row["attempts"] == 0 and "waiting for the report" in str(row["outcome"])


# --- send a test, preview ------------------------------------------------------------------------------


def test_a_test_goes_to_the_person_asking_and_reuses_the_ready_report(owner_engine, web_engine, app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine)
    customer_admin, _ = add_member(owner_engine, seeded.msp_id, Role.CUSTOMER_ADMIN, seeded.customer_id)
    with unit_of_work(web_engine, customer_admin) as uow:
        report_id = request_report(uow, seeded.customer_id)
    render_stored_report(app_engine, report_id, seeded.msp_id, seeded.customer_id)
    sent, reports = _Captured(), _Captured()
    with unit_of_work(web_engine, customer_admin) as uow:
        delivery_id = send_test(uow, seeded.customer_id, to="It@Fourth.test", queue=sent, reports=reports)
    assert sent.messages == [{"delivery_id": delivery_id, "msp_id": seeded.msp_id}] and reports.messages == []
    with running_inbox() as (inbox, port):
        assert _deliver(app_engine, seeded, delivery_id, port) == "sent"
        inbox.wait(1)
        [mail] = [_parsed(m) for m in inbox.raw]
    assert str(mail["To"]) == "it@fourth.test" and str(mail["Subject"]).startswith("[Test] ")
    assert "TEST MESSAGE" in mail.get_body(preferencelist=("plain",)).get_content()


def test_the_preview_is_the_mail_with_the_portal_link(owner_engine, web_engine, app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine, name="Contoso Pharma")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        html = preview_summary(uow, seeded.customer_id, portal_url=PORTAL)
        with pytest.raises(Conflict):
            preview_summary(uow, uuid.uuid4(), portal_url=PORTAL)
    assert "Contoso Pharma" in html and f"{PORTAL}/customers/{seeded.customer_id}" in html
    with owner_engine.connect() as connection:  # a preview makes no report
        assert connection.execute(text("SELECT count(*) FROM reports WHERE customer_id = :c"),
                                  {"c": seeded.customer_id}).scalar_one() == 0


# --- unsubscribing -------------------------------------------------------------------------------------


def test_the_link_unsubscribes_that_address_only_and_later_sends_skip_it(owner_engine, web_engine,
                                                                         app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine, name="Tailspin Toys")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    _configure(web_engine, admin, seeded, include_customer_users=False,
               extra_recipients="ceo@tailspin.test, cfo@tailspin.test")
    now = dt.datetime.now(UTC)
    _make_due(owner_engine, seeded, now)
    _, leased = _tick(app_engine, seeded, now)
    with running_inbox() as (inbox, port):
        for delivery_id in leased:
            _deliver(app_engine, seeded, delivery_id, port)
        inbox.wait(2)
        by_address = {str(m["To"]): m for m in map(_parsed, inbox.raw)}
    token = str(by_address["ceo@tailspin.test"]["List-Unsubscribe"]).strip("<>").rsplit("/", 1)[1]

    # A token altered by one character, or made up, is nobody's.
    # The first character: every one of its six bits counts (the last one's low bits are base64 padding,
    # so changing it could decode to the same token).
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    for forged in (flipped, "x" * len(token), "", "../../etc", token + "AAAA"):
        assert unsubscription_of(web_engine, forged) is None and unsubscribe(web_engine, forged) is None
    seen = unsubscription_of(web_engine, token)
    assert seen is not None and (seen.address, seen.customer_name, seen.done) == ("ceo@tailspin.test",
                                                                                 "Tailspin Toys", False)
    done = unsubscribe(web_engine, token)
    assert done is not None and done.done and unsubscribe(web_engine, token) is not None  # twice: harmless

    with unit_of_work(web_engine, admin) as uow:
        config = summary_config(uow, seeded.customer_id)
        marks = {r.address: r.unsubscribed for r in recipients_of(uow, seeded.customer_id, config)}
    assert marks == {"ceo@tailspin.test": True, "cfo@tailspin.test": False}
    # The next period sends to the CFO only.
    later = next_due("monthly", now) + dt.timedelta(minutes=1)  # type: ignore[operator]
    _make_due(owner_engine, seeded, later - dt.timedelta(minutes=1))
    _, [next_delivery] = _tick(app_engine, seeded, later)
    with owner_engine.connect() as connection:
        assert connection.execute(text("SELECT address FROM summary_deliveries WHERE id = :i"),
                                  {"i": next_delivery}).scalar_one() == "cfo@tailspin.test"


def test_a_pending_delivery_to_an_address_that_unsubscribed_is_not_sent(owner_engine, web_engine,
                                                                        app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    _configure(web_engine, admin, seeded, include_customer_users=False, extra_recipients="ceo@fourth.test")
    now = dt.datetime.now(UTC)
    _make_due(owner_engine, seeded, now)
    _, [first] = _tick(app_engine, seeded, now)
    with running_inbox() as (inbox, port):
        _deliver(app_engine, seeded, first, port)
        [mail] = inbox.wait(1)
        # A test to the same address is queued; then the address unsubscribes from the first mail.
        with unit_of_work(web_engine, admin) as uow:
            queued = send_test(uow, seeded.customer_id, to="ceo@fourth.test", queue=_Captured(), reports=_Captured())
        assert unsubscribe(web_engine, str(mail["List-Unsubscribe"]).strip("<>").rsplit("/", 1)[1]) is not None
        assert _deliver(app_engine, seeded, queued, port) == "unsubscribed"
        assert len(inbox.messages) == 1


# --- what the database lets each role do ---------------------------------------------------------------


def test_only_who_may_make_reports_sets_or_tests_the_summary(owner_engine, web_engine, app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine)
    viewer, _ = add_member(owner_engine, seeded.msp_id, Role.CUSTOMER_VIEWER, seeded.customer_id)
    with pytest.raises(Forbidden), unit_of_work(web_engine, viewer) as uow:
        save_summary_config(uow, seeded.customer_id, cadence="weekly", include_customer_users=True,
                            extra_recipients="attacker@evil.test", now=dt.datetime.now(UTC))
    with pytest.raises(Forbidden), unit_of_work(web_engine, viewer) as uow:
        send_test(uow, seeded.customer_id, to="attacker@evil.test", queue=_Captured(), reports=_Captured())
    # An analyst on a Monitor-tier customer neither.
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE customers SET access_tier = 'monitor' WHERE id = :c"),
                           {"c": seeded.customer_id})
    analyst, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ANALYST)
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst) as uow:
        save_summary_config(uow, seeded.customer_id, cadence="weekly", include_customer_users=True,
                            extra_recipients="", now=dt.datetime.now(UTC))
    # Another MSP's admin does not see the customer at all.
    stranger = seeded_customer(owner_engine)
    other_admin, _ = add_member(owner_engine, stranger.msp_id, Role.MSP_ADMIN)
    with pytest.raises(NotFound), unit_of_work(web_engine, other_admin) as uow:
        save_summary_config(uow, seeded.customer_id, cadence="weekly", include_customer_users=True,
                            extra_recipients="", now=dt.datetime.now(UTC))
    with owner_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM summary_settings WHERE customer_id = :c"),
                                  {"c": seeded.customer_id}).scalar_one() == 0
        assert connection.execute(text("SELECT count(*) FROM summary_deliveries WHERE customer_id = :c"),
                                  {"c": seeded.customer_id}).scalar_one() == 0


def test_bad_settings_are_refused_with_a_reason(owner_engine, web_engine, app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    for cadence, extra in (("daily", ""), ("weekly", "not an address"), ("weekly", "a@b.test\r\nBcc: x@evil.test")):
        with pytest.raises(InvalidInput), unit_of_work(web_engine, admin) as uow:
            save_summary_config(uow, seeded.customer_id, cadence=cadence, include_customer_users=True,
                                extra_recipients=extra, now=dt.datetime.now(UTC))


def _as_web(web: Engine, scope: Scope, sql: str, **params: object) -> None:
    with unit_of_work(web, scope) as uow:
        uow.session.execute(text(sql), params)


def test_the_web_role_cannot_forge_a_scheduled_send_or_a_delivery_outcome(owner_engine, web_engine,
                                                                          app_engine) -> None:
    seeded, delivery_id = _one_delivery(owner_engine, web_engine, app_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with owner_engine.connect() as connection:
        report_id = connection.execute(text("SELECT id FROM reports WHERE customer_id = :c"),
                                       {"c": seeded.customer_id}).scalar_one()
    # A scheduled send is the schedule's to make: from the portal, a forged one is refused.
    with pytest.raises(ProgrammingError, match="permission denied"):
        _as_web(web_engine, admin, "INSERT INTO summary_sends (msp_id, customer_id, report_id, kind, period) "
                "VALUES (:m, :c, :r, 'scheduled', '2099-01')", m=seeded.msp_id, c=seeded.customer_id, r=report_id)
    with pytest.raises(DBAPIError, match=r"row-level security|check constraint"):
        _as_web(web_engine, admin, "INSERT INTO summary_sends (msp_id, customer_id, report_id, kind) "
                "VALUES (:m, :c, :r, 'scheduled')", m=seeded.msp_id, c=seeded.customer_id, r=report_id)
    # A delivery's outcome is the worker's to write, and an address's unsubscription goes through the link.
    with pytest.raises(ProgrammingError, match="permission denied"):
        _as_web(web_engine, admin, "UPDATE summary_deliveries SET status = 'sent' WHERE id = :i", i=delivery_id)
    with pytest.raises(ProgrammingError, match="permission denied"):
        _as_web(web_engine, admin, "INSERT INTO summary_unsubscribes (msp_id, customer_id, address) "
                "VALUES (:m, :c, 'cfo@fourth.test')", m=seeded.msp_id, c=seeded.customer_id)
    # A send for another MSP's customer cannot be slipped into this admin's scope.
    stranger = seeded_customer(owner_engine)
    with pytest.raises(DBAPIError, match=r"row-level security|violates foreign key"):
        _as_web(web_engine, admin, "INSERT INTO summary_sends (msp_id, customer_id, report_id, kind) "
                "VALUES (:m, :c, :r, 'test')", m=stranger.msp_id, c=stranger.customer_id, r=report_id)


# --- what the review found ----------------------------------------------------------------------------


def test_a_slow_relay_is_not_handed_a_second_copy_by_the_next_tick(owner_engine, web_engine, app_engine) -> None:
    seeded, delivery_id = _one_delivery(owner_engine, web_engine, app_engine)
    now = dt.datetime.now(UTC)
    leased_meanwhile: list[list[uuid.UUID]] = []

    class SlowRelay:
        """A relay that takes minutes to accept: the ticks keep running while it does."""

        def send(self, message: EmailMessage) -> str:
            for minutes in (1, 2, 4):
                leased_meanwhile.append(_tick(app_engine, seeded, now + dt.timedelta(minutes=minutes))[1])
            return "250 2.0.0 Ok"

    assert deliver_summary(app_engine, delivery_id, seeded.msp_id, mailer=SlowRelay(), from_address=FROM,
                           portal_url=PORTAL, clock=lambda: now) == "sent"
    assert leased_meanwhile == [[], [], []]


def test_a_message_that_cannot_be_built_gives_up_with_a_reason(owner_engine, web_engine, app_engine,
                                                               monkeypatch) -> None:
    seeded, delivery_id = _one_delivery(owner_engine, web_engine, app_engine)

    def broken(*args: object, **kwargs: object) -> EmailMessage:
        raise ValueError("a template that no longer renders")

    monkeypatch.setattr("portal.services.summaries._send.compose_summary", broken)
    with running_inbox() as (inbox, port):
        assert _deliver(app_engine, seeded, delivery_id, port) == "gave_up"
        assert inbox.messages == []
    [row] = _deliveries(owner_engine, seeded)
    assert row["attempts"] == 1 and "could not be built (ValueError)" in str(row["outcome"])


def test_an_account_address_the_deliveries_refuse_does_not_stop_the_tick(owner_engine, web_engine,
                                                                         app_engine) -> None:
    seeded = _reportable(owner_engine, app_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    odd = uuid.uuid4()
    with owner_engine.begin() as connection:  # an account made before addresses were checked this strictly
        connection.execute(text("INSERT INTO users (id, email, display_name) VALUES (:i, :e, 'Odd')"),
                           {"i": odd, "e": f"me@evil.test,x{odd.hex[:6]}@evil.test"})
        set_scope(connection, seeded.msp_id)
        connection.execute(text("INSERT INTO memberships (id, user_id, msp_id, customer_id, role) "
                                "VALUES (:i, :u, :m, :c, 'customer_viewer')"),
                           {"i": uuid.uuid4(), "u": odd, "m": seeded.msp_id, "c": seeded.customer_id})
    _configure(web_engine, admin, seeded, extra_recipients="ceo@fourth.test")
    now = dt.datetime.now(UTC)
    _make_due(owner_engine, seeded, now)
    assert _tick(app_engine, seeded, now)[0] == 1
    assert [d["address"] for d in _deliveries(owner_engine, seeded)] == ["ceo@fourth.test"]


def test_the_mail_repeats_the_score_its_pdf_printed(owner_engine, web_engine, app_engine) -> None:
    seeded, delivery_id = _one_delivery(owner_engine, web_engine, app_engine)
    # Since the render, the customer's baseline changed and the same scan would now score otherwise.
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE reports SET score = 12.0, grade = 'F' WHERE customer_id = :c"),
                           {"c": seeded.customer_id})
    with running_inbox() as (inbox, port):
        _deliver(app_engine, seeded, delivery_id, port)
        inbox.wait(1)
        [mail] = [_parsed(m) for m in inbox.raw]
    text_part = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Score: 12 (grade F)" in text_part and str(mail["Subject"]).endswith("score 12")


def test_the_database_checks_the_link_too(owner_engine, web_engine, app_engine) -> None:
    """An injected statement in the web role, without the link, can neither read nor unsubscribe."""
    seeded, delivery_id = _one_delivery(owner_engine, web_engine, app_engine)
    with web_engine.begin() as connection:
        for mac in (None, "", "0" * 32, "f" * 31):
            assert connection.execute(text("SELECT * FROM posture_unsubscribe_subject(:d, :m)"),
                                      {"d": delivery_id, "m": mac}).first() is None
            assert connection.execute(text("SELECT posture_unsubscribe(:d, :m)"),
                                      {"d": delivery_id, "m": mac}).scalar_one() is False
        with pytest.raises(ProgrammingError, match="permission denied"):  # the signing oracle stays closed
            connection.execute(text("SELECT posture_expected_signature(ARRAY['summary-unsubscribe', :d])"),
                               {"d": str(delivery_id)})
    with owner_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM summary_unsubscribes WHERE customer_id = :c"),
                                  {"c": seeded.customer_id}).scalar_one() == 0


def test_a_test_send_cannot_borrow_another_customers_report_or_send(owner_engine, web_engine, app_engine) -> None:
    """Two customers of one MSP, the admin of both: an injected statement in the web role cannot make a
    test of one customer that mails the other's report."""
    seeded, _ = _one_delivery(owner_engine, web_engine, app_engine)
    other = make_customer(owner_engine, seeded.msp_id, name="Fabrikam")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with owner_engine.connect() as connection:
        report_id, send_id = connection.execute(text(
            "SELECT s.report_id, s.id FROM summary_sends s WHERE s.customer_id = :c"), {"c": seeded.customer_id}).one()
    with pytest.raises(DBAPIError, match="row-level security"):
        _as_web(web_engine, admin, "INSERT INTO summary_sends (msp_id, customer_id, report_id, kind) "
                "VALUES (:m, :c, :r, 'test')", m=seeded.msp_id, c=other.customer_id, r=report_id)
    with pytest.raises(DBAPIError, match="row-level security"):
        _as_web(web_engine, admin, "INSERT INTO summary_deliveries (msp_id, customer_id, send_id, address) "
                "VALUES (:m, :c, :s, 'attacker@evil.test')", m=seeded.msp_id, c=other.customer_id, s=send_id)
