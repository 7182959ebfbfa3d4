"""A customer's pages over real scans: posture, areas, findings and their filters, a finding with its
evidence and history, "Scan now" (the tier, the rate limit, one scan at a time) and its progress."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import ConnectionState, Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.mail import SmtpSender
from portal.services.onboarding import ConsentApp
from portal.services.scans import record_scan
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from scanner import Status, get_check
from tests.portal.services.support import CRITICAL, HIGH, MEDIUM, insert_scan, make_customer, make_msp, scan_result
from tests.portal.web.support import sign_in
from tests.support.database import set_scope
from tests.support.people import add_person

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def tenant(app_engine: Engine, owner_engine: Engine, scope_key: bytes) -> dict[str, object]:
    msp = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp, name="Contoso")
    for days_ago, verdicts in ((3, {CRITICAL: Status.PASS, HIGH: Status.PASS, MEDIUM: Status.PASS}),
                               (1, {CRITICAL: Status.FAIL, HIGH: Status.PASS, MEDIUM: Status.ERROR})):
        scan_id = insert_scan(owner_engine, seeded, status="running")
        with unit_of_work(app_engine, Scope.for_customer(msp, seeded.customer_id)) as uow:
            record_scan(uow, scan_id, scan_result(verdicts, started_at=NOW - dt.timedelta(days=days_ago)))
    with owner_engine.begin() as connection:  # asked for days ago: "Scan now" is free to run
        set_scope(connection, msp)
        connection.execute(text("UPDATE scans SET queued_at = now() - interval '3 days' WHERE customer_id = :c"),
                           {"c": seeded.customer_id})
    people = {role: add_person(owner_engine, scope_key, [membership])[1] for role, membership in {
        "analyst": MembershipView(msp_id=msp, role=Role.MSP_ANALYST),
        "viewer": MembershipView(msp_id=msp, role=Role.CUSTOMER_VIEWER, customer_id=seeded.customer_id)}.items()}
    return {"msp": msp, "id": seeded.customer_id, **people}


@pytest.fixture
def sent() -> list[dict[str, object]]:
    return []


@pytest.fixture
def client(web_engine: Engine, sent: list) -> Iterator[TestClient]:
    runtime = WebRuntime(engine=web_engine, scan_queue=lambda **message: sent.append(message))
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def test_the_page_shows_the_posture_failing_first_and_filters(client: TestClient, tenant) -> None:
    sign_in(client, tenant["viewer"])
    page = client.get(f"/customers/{tenant['id']}").text
    titles = [get_check(c).meta.title for c in (CRITICAL, MEDIUM, HIGH)]  # fail, then error, then pass
    positions = [page.index(f">{t}</a>") for t in titles]
    assert positions == sorted(positions)
    assert "Scan now" not in page  # a viewer reads only
    critical_area = get_check(CRITICAL).meta.area
    assert f">{critical_area}</a>" in page  # score by area
    failing = client.get(f"/customers/{tenant['id']}", params={"status": "fail"}).text
    assert f">{titles[0]}</a>" in failing and f">{titles[2]}</a>" not in failing
    by_area = client.get(f"/customers/{tenant['id']}", params={"area": critical_area, "severity": "critical"}).text
    assert f">{titles[0]}</a>" in by_area and f">{titles[1]}</a>" not in by_area


def test_a_finding_has_its_remediation_evidence_and_history(client: TestClient, tenant) -> None:
    sign_in(client, tenant["viewer"])
    page = client.get(f"/customers/{tenant['id']}/findings/{CRITICAL}").text
    meta = get_check(CRITICAL).meta
    assert meta.references[0] in page and "How to fix it" in page
    assert "&#34;read&#34;: 1" in page  # the stored evidence, as escaped text
    history = page[page.index("<h2>History</h2>"):]
    assert history.index("status-fail") < history.index("status-pass")  # newest first: fail now, passed before
    assert client.get(f"/customers/{tenant['id']}/findings/no.such.check").status_code == 404


def test_scan_now_makes_one_scan_at_a_time_then_waits(client: TestClient, tenant, sent, owner_engine: Engine) -> None:
    csrf = sign_in(client, tenant["analyst"])
    first = client.post(f"/customers/{tenant['id']}/scans", data={"_csrf_token": csrf}, follow_redirects=False)
    assert first.status_code == 303 and len(sent) == 1
    scan_id = sent[0]["scan_id"]
    assert first.headers["location"] == f"/customers/{tenant['id']}?scan={scan_id}"
    assert "Scan queued" in client.get(f"/customers/{tenant['id']}/scans/{scan_id}/progress").text

    again = client.post(f"/customers/{tenant['id']}/scans", data={"_csrf_token": csrf}, follow_redirects=False)
    assert again.headers["location"] == first.headers["location"] and len(sent) == 1  # the same scan, not a second

    with owner_engine.begin() as connection:
        set_scope(connection, tenant["msp"])
        connection.execute(text("UPDATE scans SET status = 'completed', started_at = now(), finished_at = now(), "
                                "score = 40 WHERE id = :i"), {"i": scan_id})
    assert "Scan finished" in client.get(f"/customers/{tenant['id']}/scans/{scan_id}/progress").text
    soon = client.post(f"/customers/{tenant['id']}/scans", data={"_csrf_token": csrf}, follow_redirects=False)
    assert soon.status_code == 429 and 0 < int(soon.headers["retry-after"]) <= 300 and len(sent) == 1
    trail = client.get("/audit")  # analysts do not read the trail; the MSP admin would see both events
    assert trail.status_code == 403
    with owner_engine.connect() as connection:
        actions = set(connection.execute(text("SELECT action FROM audit_events WHERE target = :t"),
                                         {"t": f"scan:{scan_id}"}).scalars())
    assert actions == {"scan.requested", "scan.started_by_hand"}


def test_the_monitor_tier_lets_staff_look_but_not_scan(client: TestClient, tenant, sent, owner_engine: Engine) -> None:
    with owner_engine.begin() as connection:
        set_scope(connection, tenant["msp"])
        connection.execute(text("UPDATE customers SET access_tier = 'monitor' WHERE id = :c"), {"c": tenant["id"]})
    csrf = sign_in(client, tenant["analyst"])
    assert "Scan now" not in client.get(f"/customers/{tenant['id']}").text
    refused = client.post(f"/customers/{tenant['id']}/scans", data={"_csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403 and sent == []


def test_an_msp_admin_invites_the_customers_people_from_its_page(web_engine: Engine, owner_engine: Engine,
                                                                  scope_key: bytes, tenant, inbox) -> None:
    _, admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=tenant["msp"], role=Role.MSP_ADMIN)])
    runtime = WebRuntime(engine=web_engine, mailer=SmtpSender("127.0.0.1", inbox[1], "posture@msp.example",
                                                               tls="none"))
    with TestClient(create_app(runtime)) as client:
        csrf = sign_in(client, admin)
        page = client.get(f"/customers/{tenant['id']}").text
        assert f'name="customer_id" value="{tenant["id"]}"' in page
        sent = client.post("/team/invitations", data={"email": "it@contoso.example", "role": "customer_admin",
                                                      "customer_id": str(tenant["id"]), "_csrf_token": csrf})
        assert sent.status_code == 200 and "Invitation sent to it@contoso.example" in sent.text
    assert inbox[0].wait(1)[0]["To"] == "it@contoso.example"
    with owner_engine.connect() as connection:
        invited = connection.execute(text("SELECT customer_id, role::text FROM invitations WHERE email = :e"),
                                     {"e": "it@contoso.example"}).one()
    assert (invited.customer_id, invited.role) == (tenant["id"], "customer_admin")


def test_an_msp_admin_adds_a_tagged_customer_that_analysts_of_the_tag_see(web_engine: Engine, owner_engine: Engine,
                                                                           scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    people = {role: add_person(owner_engine, scope_key, [membership])[1] for role, membership in {
        "admin": MembershipView(msp_id=msp, role=Role.MSP_ADMIN),
        "east": MembershipView(msp_id=msp, role=Role.MSP_ANALYST, tags=frozenset({"east"})),
        "west": MembershipView(msp_id=msp, role=Role.MSP_ANALYST, tags=frozenset({"west"}))}.items()}
    with TestClient(create_app(WebRuntime(engine=web_engine))) as client:
        csrf = sign_in(client, people["admin"])
        refused = client.post("/customers/new", data={"name": "Tailspin", "tags": "east, <b>", "_csrf_token": csrf})
        assert refused.status_code == 400 and "tags are words" in refused.text
        assert 'value="east, &lt;b&gt;"' in refused.text  # what was typed comes back, escaped
        added = client.post("/customers/new", data={"name": "Tailspin", "tags": " East ,gold,east",
                                                   "_csrf_token": csrf}, follow_redirects=False)
        assert added.status_code == 303
        with owner_engine.connect() as connection:
            set_scope(connection, msp)
            tags = connection.execute(text("SELECT tags FROM customers WHERE msp_id = :m AND name = 'Tailspin'"),
                                      {"m": msp}).scalar_one()
        assert tags == ["east", "gold"]
        for who, sees in (("east", True), ("west", False)):
            sign_in(client, people[who])
            assert ("Tailspin" in client.get("/fleet").text) is sees, who


def test_a_lost_connection_says_why_and_who_can_reconnect_it(web_engine: Engine, owner_engine: Engine,
                                                             scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    lost = make_customer(owner_engine, msp, name="Litware", state=ConnectionState.DISCONNECTED)
    with owner_engine.begin() as connection:
        set_scope(connection, msp)
        connection.execute(text("UPDATE customers SET connection_reason = :r WHERE id = :c"), {
            "c": lost.customer_id,
            "r": "consent_missing: AADSTS700016: Application with identifier 'x' was not found in the directory"})
    people = {role: add_person(owner_engine, scope_key, [membership])[1] for role, membership in {
        "admin": MembershipView(msp_id=msp, role=Role.MSP_ADMIN),
        "analyst": MembershipView(msp_id=msp, role=Role.MSP_ANALYST),
        "viewer": MembershipView(msp_id=msp, role=Role.CUSTOMER_VIEWER, customer_id=lost.customer_id)}.items()}
    consent = ConsentApp(authority_host="https://login.example.test", client_id=str(uuid.uuid4()),
                         redirect_uri="http://portal.test/onboarding/callback", graph_url="https://graph.example.test",
                         required_permissions=("Directory.Read.All",))
    page = f"/customers/{lost.customer_id}"
    with TestClient(create_app(WebRuntime(engine=web_engine, consent=consent))) as client:
        csrf = sign_in(client, people["admin"])
        shown = client.get(page).text
        assert "Connection lost:" in shown and "AADSTS700016: Application with identifier" in shown
        assert "(consent_missing)" in shown  # the code, after the words
        assert "Make a fresh consent link below" in shown and "Reconnect this tenant" in shown
        link = client.post(f"{page}/consent-link", data={"_csrf_token": csrf}).text
        assert "https://login.example.test/" in link and "/v2.0/adminconsent?" in link
        sign_in(client, people["analyst"])
        assert "An MSP admin can make a fresh consent link" in client.get(page).text
        sign_in(client, people["viewer"])
        shown = client.get(page).text
        assert "Ask your service provider for a fresh consent link" in shown and "Reconnect" not in shown


def test_exclusions_waiting_for_confirmation_are_recorded_as_break_glass_from_the_page(
        web_engine: Engine, app_engine: Engine, owner_engine: Engine, scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp, name="Tailspin")
    accounts = sorted(str(uuid.uuid4()) for _ in range(2))
    result = scan_result({CRITICAL: (Status.FAIL, "break_glass_unconfirmed"), HIGH: Status.PASS}, started_at=NOW)
    waiting = dataclasses.replace(result.checks[0], affected=tuple(accounts))
    result = dataclasses.replace(result, checks=(waiting, *result.checks[1:]))
    scan_id = insert_scan(owner_engine, seeded, status="running")
    with unit_of_work(app_engine, Scope.for_customer(msp, seeded.customer_id)) as uow:
        record_scan(uow, scan_id, result)
    people = {role: add_person(owner_engine, scope_key, [membership])[1] for role, membership in {
        "admin": MembershipView(msp_id=msp, role=Role.MSP_ADMIN),
        "analyst": MembershipView(msp_id=msp, role=Role.MSP_ANALYST)}.items()}
    consent = ConsentApp(authority_host="https://login.example.test", client_id=str(uuid.uuid4()),
                         redirect_uri="http://portal.test/onboarding/callback", graph_url="https://graph.example.test",
                         required_permissions=("Directory.Read.All",))
    page = f"/customers/{seeded.customer_id}"
    with TestClient(create_app(WebRuntime(engine=web_engine, consent=consent))) as client:
        sign_in(client, people["analyst"])
        shown = client.get(page).text
        assert "1 check waits for confirmation" in shown and accounts[0] in shown
        assert "Record these as break-glass" not in shown  # analysts at the Operate tier look, admins record

        csrf = sign_in(client, people["admin"])
        assert "Record these as break-glass" in client.get(page).text
        refused = client.post(f"{page}/break-glass", data={"ids": "not-an-id", "_csrf_token": csrf})
        assert refused.status_code == 400 and "not an Entra object id" in refused.text
        saved = client.post(f"{page}/break-glass", data={"ids": " ".join(a.upper() for a in accounts),
                                                         "_csrf_token": csrf}, follow_redirects=False)
        assert saved.status_code == 303
        assert "Recorded. The next scan judges" in client.get(saved.headers["location"]).text
    with owner_engine.connect() as connection:
        set_scope(connection, msp)
        recorded = connection.execute(text("SELECT break_glass_ids FROM customers WHERE id = :c"),
                                      {"c": seeded.customer_id}).scalar_one()
        audited = connection.execute(text("SELECT details FROM audit_events WHERE customer_id = :c AND action = "
                                          "'customer.break_glass_recorded'"), {"c": seeded.customer_id}).scalar_one()
    assert recorded == accounts  # lower-cased, sorted
    assert audited == {"before": [], "after": accounts}
