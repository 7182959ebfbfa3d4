"""Alerts end to end on real PostgreSQL: rules raise one alert per (customer, check, condition) until it
clears, deliveries reach a real HTTP receiver signed and are retried with backoff, and a redelivered
message sends nothing twice; targets inside our network are refused; secrets are sealed at rest.

Expected alerts are written from the table in ``portal.services.alerts._evaluate``'s docstring.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import ChannelKind, Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.alerts import (
    BACKOFF,
    MAX_ATTEMPTS,
    TargetRefused,
    check_target,
    create_channel,
    create_rule,
    delete_channel,
    deliver,
    parse_recipients,
    queue_due_deliveries,
    send_test,
    verify_signature,
)
from portal.services.errors import Forbidden
from portal.services.mail import SmtpSender
from portal.services.scans import fail_scan, record_scan
from scanner import Status
from tests.portal.services.support import (
    CRITICAL,
    HIGH,
    MEDIUM,
    Seeded,
    add_member,
    insert_scan,
    make_customer,
    make_msp,
)
from tests.portal.services.support import record_verdicts as scan
from tests.support.database import set_scope
from tests.support.receiver import Receiver
from tests.support.smtp import running_inbox

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def public(host: str, port: int) -> list[str]:
    """A resolver for names on the internet (this machine resolves none): public addresses."""
    return {"hooks.slack.com": ["52.2.3.4"], "rebound.example.com": ["10.0.0.7"]}.get(host, ["52.96.10.10"])


# -- targets ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://alerts.example.com/hook",  # not https
    "https://127.0.0.1/hook", "https://10.0.0.5/hook", "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hook", "https://[::ffff:10.0.0.1]/hook", "https://100.64.0.1/hook", "https://0.0.0.0/hook",
    "https://rebound.example.com/hook",  # a public name that resolves inward
    "https://user:secret@alerts.example.com/hook", "https://alerts.example.com:22/hook", "file:///etc/passwd",
])
def test_webhooks_into_our_network_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_target(ChannelKind.WEBHOOK, url, allow_private=False, resolve=public)


def test_localhost_is_refused_by_what_it_resolves_to() -> None:
    with pytest.raises(TargetRefused, match="private, loopback"):
        check_target(ChannelKind.WEBHOOK, "https://localhost/hook", allow_private=False)


def test_public_https_webhooks_and_the_right_hosts_for_teams_and_slack_are_accepted() -> None:
    assert check_target(ChannelKind.WEBHOOK, "https://alerts.example.com:8443/h?x=1", allow_private=False,
                        resolve=public) == "https://alerts.example.com:8443/h?x=1"
    check_target(ChannelKind.SLACK, "https://hooks.slack.com/services/T0/B0/xyz", allow_private=False, resolve=public)
    check_target(ChannelKind.TEAMS, "https://contoso.webhook.office.com/webhookb2/abc", allow_private=False,
                 resolve=public)
    with pytest.raises(TargetRefused, match=r"hooks\.slack\.com"):
        check_target(ChannelKind.SLACK, "https://evil.example.com/services/x", allow_private=False, resolve=public)
    with pytest.raises(TargetRefused, match=r"webhook\.office\.com"):
        check_target(ChannelKind.TEAMS, "https://webhook.office.com.evil.example/x", allow_private=False,
                     resolve=public)
    # The demo and tests may aim at loopback; the production default above may not.
    assert check_target(ChannelKind.WEBHOOK, "http://127.0.0.1:9/h", allow_private=True) == "http://127.0.0.1:9/h"


def test_recipients_are_addresses() -> None:
    assert parse_recipients("Ann@Contoso.com; bob@fabrikam.com, ann@contoso.com") == ["ann@contoso.com",
                                                                                       "bob@fabrikam.com"]
    for bad in ("", "not-an-address", "a@b.com\nBcc: x@y.com", ", ".join(f"u{i}@x.com" for i in range(21))):
        with pytest.raises(TargetRefused):
            parse_recipients(bad)


# -- the world -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class World:
    seeded: Seeded
    admin: MembershipView
    admin_scope: Scope
    channel_id: uuid.UUID
    secret: str


@pytest.fixture
def world(owner_engine: Engine, web_engine: Engine, receiver: Receiver) -> World:
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id, name="Contoso")
    scope, admin = add_member(owner_engine, msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, scope) as uow:
        made = create_channel(uow, web_engine, admin, kind="webhook", name="SOC", target=receiver.url,
                              allow_private=True)
    assert made.signing_secret is not None
    return World(seeded, admin, scope, made.channel_id, made.signing_secret)


def _rule(web: Engine, world: World, condition: str, threshold: int | None = None, tag: str | None = None) -> None:
    with unit_of_work(web, world.admin_scope) as uow:
        create_rule(uow, world.admin, condition=condition, channel_id=world.channel_id, threshold=threshold, tag=tag)


def _baseline_scan(owner: Engine, app: Engine, seeded: Seeded) -> None:
    """The customer's first scan (where its history starts: no change, no alert), of another check."""
    scan(owner, app, seeded, {MEDIUM: Status.PASS}, T0 - dt.timedelta(days=1))


def _alerts(owner: Engine, seeded: Seeded) -> list[tuple[str, str, bool]]:
    with owner.connect() as connection:
        return [(r.condition, r.check_id, r.cleared_at is not None) for r in connection.execute(text(
            "SELECT condition, check_id, cleared_at FROM alerts WHERE customer_id = :c ORDER BY opened_at, condition"),
            {"c": seeded.customer_id})]


def _deliveries(owner: Engine, seeded: Seeded) -> list[tuple[str, str]]:
    with owner.connect() as connection:
        return [(r.condition, r.event) for r in connection.execute(text(
            "SELECT a.condition, d.event FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id "
            "WHERE d.customer_id = :c ORDER BY d.created_at, a.condition, d.event"), {"c": seeded.customer_id})]


# -- raising and clearing --------------------------------------------------------------------------

def test_one_alert_per_check_and_condition_until_it_clears(owner_engine: Engine, app_engine: Engine,
                                                           web_engine: Engine, world: World) -> None:
    _rule(web_engine, world, "new_critical")
    _rule(web_engine, world, "regressed")
    contoso = world.seeded
    _baseline_scan(owner_engine, app_engine, contoso)
    scan(owner_engine, app_engine, contoso, {CRITICAL: Status.FAIL, HIGH: Status.PASS}, T0)
    scan(owner_engine, app_engine, contoso, {CRITICAL: Status.FAIL, HIGH: Status.PASS}, T0 + dt.timedelta(hours=1))
    scan(owner_engine, app_engine, contoso, {CRITICAL: Status.ERROR, HIGH: Status.PASS}, T0 + dt.timedelta(hours=2))
    scan(owner_engine, app_engine, contoso, {CRITICAL: Status.FAIL, HIGH: Status.PASS}, T0 + dt.timedelta(hours=3))
    # Failing four scans in a row (one unreadable): one alert, never a flood.
    assert _alerts(owner_engine, contoso) == [("new_critical", CRITICAL, False)]
    scan(owner_engine, app_engine, contoso, {CRITICAL: Status.PASS, HIGH: Status.FAIL}, T0 + dt.timedelta(hours=4))
    scan(owner_engine, app_engine, contoso, {CRITICAL: Status.FAIL, HIGH: Status.FAIL}, T0 + dt.timedelta(hours=5))
    assert _alerts(owner_engine, contoso) == [
        ("new_critical", CRITICAL, True),  # fixed at hour 4: cleared
        ("regressed", HIGH, False),  # the high regressed at hour 4 (no new_critical: it is high)
        ("new_critical", CRITICAL, False), ("regressed", CRITICAL, False),  # the critical came back
    ]
    assert _deliveries(owner_engine, contoso) == [
        ("new_critical", "opened"), ("new_critical", "cleared"), ("regressed", "opened"),
        ("new_critical", "opened"), ("regressed", "opened")]


def test_score_drop_connection_lost_and_failing_scans(owner_engine: Engine, app_engine: Engine, web_engine: Engine,
                                                      world: World) -> None:
    _rule(web_engine, world, "score_drop", threshold=20)
    _rule(web_engine, world, "connection_lost")
    _rule(web_engine, world, "scan_failing", threshold=2)
    contoso = world.seeded
    # Critical 10 and high 5: both passing 100; the critical failing 5 / 15 = 33.3, a drop of 66.7.
    scan(owner_engine, app_engine, contoso, {CRITICAL: Status.PASS, HIGH: Status.PASS}, T0)
    scan(owner_engine, app_engine, contoso, {CRITICAL: Status.FAIL, HIGH: Status.PASS}, T0 + dt.timedelta(hours=1))
    assert _alerts(owner_engine, contoso) == [("score_drop", "", False)]
    scan(owner_engine, app_engine, contoso, {CRITICAL: Status.PASS, HIGH: Status.PASS}, T0 + dt.timedelta(hours=2))
    assert _alerts(owner_engine, contoso) == [("score_drop", "", True)]  # back within 20 of 100

    for hour in (3, 4, 5):
        scan_id = insert_scan(owner_engine, contoso, status="running")
        with unit_of_work(app_engine, Scope.for_customer(contoso.msp_id, contoso.customer_id)) as uow:
            fail_scan(uow, scan_id, "the tenant timed out")
        with owner_engine.begin() as connection:  # one an hour, in order
            set_scope(connection, contoso.msp_id)
            connection.execute(text("UPDATE scans SET finished_at = :t WHERE id = :s"),
                               {"t": T0 + dt.timedelta(hours=hour), "s": scan_id})
    assert _alerts(owner_engine, contoso)[-1] == ("scan_failing", "", False)
    assert [a for a in _alerts(owner_engine, contoso) if a[0] == "scan_failing"] == [("scan_failing", "", False)]

    from tests.portal.services.support import disconnected_result
    for hour in (6, 7):
        scan_id = insert_scan(owner_engine, contoso, status="running")
        with unit_of_work(app_engine, Scope.for_customer(contoso.msp_id, contoso.customer_id)) as uow:
            record_scan(uow, scan_id, disconnected_result(started_at=T0 + dt.timedelta(hours=hour)))
    states = {a[0]: a[2] for a in _alerts(owner_engine, contoso)}
    # Two hard failures make it disconnected; the recorded scans cleared the failing-scans alert.
    assert states == {"score_drop": True, "scan_failing": True, "connection_lost": False}


def test_a_rule_with_a_tag_watches_those_customers_only(owner_engine: Engine, app_engine: Engine,
                                                         web_engine: Engine, world: World) -> None:
    _rule(web_engine, world, "new_critical", tag="Gold")
    gold = make_customer(owner_engine, world.seeded.msp_id, name="Gold customer")
    with owner_engine.begin() as connection:
        set_scope(connection, gold.msp_id)
        connection.execute(text("UPDATE customers SET tags = '{gold}' WHERE id = :c"), {"c": gold.customer_id})
    for seeded in (world.seeded, gold):
        _baseline_scan(owner_engine, app_engine, seeded)
        scan(owner_engine, app_engine, seeded, {CRITICAL: Status.FAIL}, T0)
    assert _alerts(owner_engine, world.seeded) == []
    assert _alerts(owner_engine, gold) == [("new_critical", CRITICAL, False)]


# -- delivering ------------------------------------------------------------------------------------

def _queue(app: Engine, msp_id: uuid.UUID, now: dt.datetime) -> list[uuid.UUID]:
    sent: list[uuid.UUID] = []
    with unit_of_work(app, Scope.for_msp(msp_id, actor="system:scheduler")) as uow:
        queue_due_deliveries(uow, now, send=lambda *, delivery_id, msp_id: sent.append(delivery_id))
    return sent


def test_a_delivery_is_signed_retried_with_backoff_and_sent_once(owner_engine: Engine, app_engine: Engine,
                                                                 web_engine: Engine, world: World,
                                                                 receiver: Receiver) -> None:
    _rule(web_engine, world, "new_critical")
    _baseline_scan(owner_engine, app_engine, world.seeded)
    scan(owner_engine, app_engine, world.seeded, {CRITICAL: Status.FAIL}, T0)
    now = dt.datetime.now(dt.UTC)
    [delivery_id] = _queue(app_engine, world.seeded.msp_id, now)
    assert _queue(app_engine, world.seeded.msp_id, now) == []  # leased: the next tick does not hand it out again

    receiver.codes = [503]
    status = deliver(app_engine, delivery_id, world.seeded.msp_id, mailer=None, allow_private=True,
                     portal_url="https://posture.example.com", clock=lambda: now)
    assert status == "pending"
    with owner_engine.connect() as connection:
        row = connection.execute(text("SELECT attempts, response_code, next_attempt_at, error FROM alert_deliveries "
                                      "WHERE id = :i"), {"i": delivery_id}).one()
    assert (row.attempts, row.response_code, row.next_attempt_at) == (1, 503, now + BACKOFF[0])
    assert _queue(app_engine, world.seeded.msp_id, now + dt.timedelta(seconds=10)) == []  # not before its time
    assert _queue(app_engine, world.seeded.msp_id, now + BACKOFF[0]) == [delivery_id]
    assert deliver(app_engine, delivery_id, world.seeded.msp_id, mailer=None, allow_private=True,
                   portal_url="https://posture.example.com") == "sent"
    # The message redelivered, or a second worker with it: nothing is sent again.
    assert deliver(app_engine, delivery_id, world.seeded.msp_id, mailer=None, allow_private=True) is None
    assert len(receiver.requests) == 2

    headers, body = receiver.requests[-1]
    assert headers["x-posture-delivery"] == str(delivery_id) == receiver.requests[0][0]["x-posture-delivery"]
    stamp, signature = headers["x-posture-timestamp"], headers["x-posture-signature"]
    signed = {"timestamp": stamp, "delivery_id": str(delivery_id), "body": body, "signature": signature}
    assert verify_signature(world.secret, **signed)
    assert not verify_signature("another secret", **signed)
    assert not verify_signature(world.secret, **{**signed, "body": body + b" "})
    # A captured request replayed with another delivery id (to get past the receiver's "seen" list), or
    # ten minutes later: refused on its signature, on its timestamp.
    assert not verify_signature(world.secret, **{**signed, "delivery_id": str(uuid.uuid4())})
    assert not verify_signature(world.secret, **signed, now=int(stamp) + 600)
    document = json.loads(body)
    assert (document["event"], document["condition"], document["customer"]["name"], document["check"]["id"]) == (
        "opened", "new_critical", "Contoso", CRITICAL)
    assert document["url"] == f"https://posture.example.com/customers/{world.seeded.customer_id}"


def test_a_permanent_refusal_gives_up_and_so_do_too_many_attempts(owner_engine: Engine, app_engine: Engine,
                                                                  web_engine: Engine, world: World,
                                                                  receiver: Receiver) -> None:
    with unit_of_work(web_engine, world.admin_scope) as uow:
        first = send_test(uow, world.admin, world.channel_id)
        second = send_test(uow, world.admin, world.channel_id)
    receiver.codes = [410] + [500] * MAX_ATTEMPTS
    msp = world.seeded.msp_id
    assert deliver(app_engine, first, msp, mailer=None, allow_private=True) == "gave_up"
    statuses = []
    later = dt.datetime.now(dt.UTC)
    for _ in range(MAX_ATTEMPTS):
        later += dt.timedelta(hours=3)  # past every backoff: the tick hands it out again
        assert second in _queue(app_engine, msp, later)
        statuses.append(deliver(app_engine, second, msp, mailer=None, allow_private=True, clock=lambda t=later: t))
    assert statuses == ["pending"] * (MAX_ATTEMPTS - 1) + ["gave_up"]
    assert json.loads(receiver.requests[0][1])["event"] == "test"
    assert len(receiver.requests) == 1 + MAX_ATTEMPTS


def test_a_target_that_now_resolves_inward_is_refused_at_delivery(app_engine: Engine, web_engine: Engine,
                                                                  world: World, receiver: Receiver) -> None:
    with unit_of_work(web_engine, world.admin_scope) as uow:
        delivery = send_test(uow, world.admin, world.channel_id)
    # Production settings: the loopback receiver (allowed when the channel was made, in a test) is refused.
    assert deliver(app_engine, delivery, world.seeded.msp_id, mailer=None, allow_private=False) == "gave_up"
    assert receiver.requests == []


def test_email_alerts_go_through_the_relay(owner_engine: Engine, app_engine: Engine, web_engine: Engine,
                                           world: World) -> None:
    with running_inbox() as (inbox, port):
        with unit_of_work(web_engine, world.admin_scope) as uow:
            made = create_channel(uow, web_engine, world.admin, kind="email", name="On call",
                                  target="oncall@msp.example, soc@msp.example", allow_private=False)
            delivery = send_test(uow, world.admin, made.channel_id)
        mailer = SmtpSender("127.0.0.1", port, "posture@msp.example", tls="none")
        assert deliver(app_engine, delivery, world.seeded.msp_id, mailer=mailer, allow_private=False) == "sent"
        [mail] = inbox.wait(1)
    assert mail["To"] == "oncall@msp.example, soc@msp.example"
    assert mail["Subject"] == "[M365 posture] Test alert"


# -- who may, and what is stored -------------------------------------------------------------------

def test_only_msp_admins_make_channels_even_behind_the_service(owner_engine: Engine, web_engine: Engine,
                                                               world: World, receiver: Receiver) -> None:
    msp_id = world.seeded.msp_id
    analyst_scope, analyst = add_member(owner_engine, msp_id, Role.MSP_ANALYST)
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst_scope) as uow:
        create_channel(uow, web_engine, analyst, kind="webhook", name="x", target=receiver.url, allow_private=True)
    insert = ("INSERT INTO alert_channels (msp_id, kind, name, target_sealed, target_hint, created_by) "
              "VALUES (:m, 'slack', 'mine', '\\x00', 'x', 'me')")
    with pytest.raises(DBAPIError, match="row-level security"), unit_of_work(web_engine, analyst_scope) as uow:
        uow.session.execute(text(insert), {"m": msp_id})
    viewer_scope, _ = add_member(owner_engine, msp_id, Role.CUSTOMER_ADMIN, world.seeded.customer_id)
    with unit_of_work(web_engine, viewer_scope) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM alert_channels")).scalar_one() == 0
        assert uow.session.execute(text("SELECT count(*) FROM alert_rules")).scalar_one() == 0


def test_the_webhook_url_and_its_secret_are_sealed_at_rest(owner_engine: Engine, web_engine: Engine,
                                                           world: World) -> None:
    token = "T0AAAA/B0BBBB/" + uuid.uuid4().hex
    with unit_of_work(web_engine, world.admin_scope) as uow:
        made = create_channel(uow, web_engine, world.admin, kind="slack", name="Slack",
                              target=f"https://hooks.slack.com/services/{token}", allow_private=False, resolve=public)
    with owner_engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM alert_channels WHERE id = :i"), {"i": made.channel_id}).one()
        audit = connection.execute(text("SELECT details::text FROM audit_events WHERE target = :t"),
                                   {"t": f"alert_channel:{made.channel_id}"}).scalar_one()
        world_row = connection.execute(text("SELECT target_sealed, secret_sealed FROM alert_channels WHERE id = :i"),
                                       {"i": world.channel_id}).one()
    stored = " ".join(str(v) for v in row) + bytes(row.target_sealed).decode("latin-1") + audit
    assert token not in stored and token[-12:] not in stored
    assert row.target_hint.startswith("https://hooks.slack.com/…")
    assert world.secret.encode() not in bytes(world_row.secret_sealed)


# -- what an attack review found (each failed before its fix) ---------------------------------------

@pytest.mark.parametrize("url", ["https://alerts.example.com/hook\x7f", "https://alerts\u200b.example.com/hook",
                                 "https://alerts.example.com/a b"])
def test_a_url_httpx_would_refuse_is_refused_when_saved(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_target(ChannelKind.WEBHOOK, url, allow_private=False, resolve=public)
    with pytest.raises(TargetRefused):
        check_target(ChannelKind.WEBHOOK, url, allow_private=True, resolve=public)


def _sealed_channel(owner: Engine, web: Engine, world: World, url: str) -> uuid.UUID:
    """A channel whose stored URL predates today's checks (sealed as the portal seals it)."""
    from portal.db.engine import scope_key_of
    from portal.services.sealing import seal

    channel_id = uuid.uuid4()
    with owner.begin() as connection:
        set_scope(connection, world.seeded.msp_id)
        connection.execute(text(
            "INSERT INTO alert_channels (id, msp_id, kind, name, target_sealed, target_hint, created_by) "
            "VALUES (:i, :m, 'slack', 'Old', :t, 'https://old/…', 'seed')"),
            {"i": channel_id, "m": world.seeded.msp_id,
             "t": seal(scope_key_of(web), "alert target", url, associated=channel_id.bytes)})
    return channel_id


def test_a_stored_url_httpx_refuses_gives_up_instead_of_pending_forever(owner_engine: Engine, app_engine: Engine,
                                                                        web_engine: Engine, world: World) -> None:
    channel_id = _sealed_channel(owner_engine, web_engine, world, "http://[::1/hook")
    with unit_of_work(web_engine, world.admin_scope) as uow:
        delivery = send_test(uow, world.admin, channel_id)
    assert deliver(app_engine, delivery, world.seeded.msp_id, mailer=None, allow_private=True) == "gave_up"


def test_a_receiver_cannot_make_a_worker_read_a_huge_answer(app_engine: Engine, web_engine: Engine,
                                                           world: World) -> None:
    import httpx

    with unit_of_work(web_engine, world.admin_scope) as uow:
        delivery = send_test(uow, world.admin, world.channel_id)
    pulled = [0]

    def answer() -> Iterator[bytes]:
        for _ in range(32):
            pulled[0] += 1 << 20
            yield b"x" * (1 << 20)

    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(500, content=answer())))
    assert deliver(app_engine, delivery, world.seeded.msp_id, mailer=None, allow_private=True,
                   client=client) == "pending"
    assert pulled[0] <= 1 << 20, f"{pulled[0] >> 20} MiB read from the receiver"


def test_a_removed_channel_receives_nothing_already_queued(app_engine: Engine, web_engine: Engine, world: World,
                                                          receiver: Receiver) -> None:
    with unit_of_work(web_engine, world.admin_scope) as uow:
        delivery = send_test(uow, world.admin, world.channel_id)
    with unit_of_work(web_engine, world.admin_scope) as uow:
        delete_channel(uow, world.admin, world.channel_id, now=dt.datetime.now(dt.UTC))
    assert deliver(app_engine, delivery, world.seeded.msp_id, mailer=None, allow_private=True) == "gave_up"
    assert receiver.requests == []


def test_a_worker_killed_mid_send_uses_up_an_attempt(owner_engine: Engine, app_engine: Engine, web_engine: Engine,
                                                     world: World) -> None:
    """The attempt is counted before the send: a delivery whose workers keep dying is given up, not
    handed out every five minutes forever."""
    import httpx

    def dies(request: httpx.Request) -> httpx.Response:
        raise SystemExit("the worker is killed")  # what a time limit or a kill looks like from here

    with unit_of_work(web_engine, world.admin_scope) as uow:
        delivery = send_test(uow, world.admin, world.channel_id)
    later = dt.datetime.now(dt.UTC)
    for _ in range(MAX_ATTEMPTS):
        later += dt.timedelta(hours=3)
        assert delivery in _queue(app_engine, world.seeded.msp_id, later)
        with pytest.raises(SystemExit):
            deliver(app_engine, delivery, world.seeded.msp_id, mailer=None, allow_private=True,
                    client=httpx.Client(transport=httpx.MockTransport(dies)), clock=lambda t=later: t)
    later += dt.timedelta(hours=3)
    assert delivery in _queue(app_engine, world.seeded.msp_id, later)
    assert deliver(app_engine, delivery, world.seeded.msp_id, mailer=None, allow_private=True,
                   clock=lambda: later) == "gave_up"
    with owner_engine.connect() as connection:
        error = connection.execute(text("SELECT error FROM alert_deliveries WHERE id = :i"), {"i": delivery}).scalar()
    assert f"after {MAX_ATTEMPTS} attempts" in error


@pytest.mark.parametrize(("name", "target"), [("On\x00call", "a@b.example"), ("On call", "a\x00b@b.example")])
def test_control_characters_are_refused_not_a_500(web_engine: Engine, world: World, name: str, target: str) -> None:
    from portal.services.errors import InvalidInput

    with pytest.raises(InvalidInput), unit_of_work(web_engine, world.admin_scope) as uow:
        create_channel(uow, web_engine, world.admin, kind="email", name=name, target=target, allow_private=False)
