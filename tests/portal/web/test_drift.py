"""The fleet's "What changed" page, a customer's timeline, ``/api/v1/drift``, and the schedule form, over
three real recorded scans in PostgreSQL.

Contoso: the high passes, then fails (regressed); the critical fails, then passes (fixed). Fabrikam's
first scan reads the medium only (where its history starts); the next finds the critical and the high
failing (new).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from scanner import Status, get_check
from tests.portal.services.support import (
    CRITICAL,
    HIGH,
    MEDIUM,
    make_customer,
    make_msp,
)
from tests.portal.services.support import record_verdicts as record
from tests.portal.web.support import sign_in, token_for
from tests.support.people import add_person

#: Midnight UTC today; every scan is before it, whatever the time of day the test runs.
TODAY = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(), dt.UTC)
YESTERDAY = (TODAY - dt.timedelta(days=1)).date().isoformat()


@pytest.fixture
def fleet(app_engine: Engine, owner_engine: Engine, scope_key: bytes) -> dict[str, object]:
    msp = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp, name="Contoso")
    fabrikam = make_customer(owner_engine, msp, name="Fabrikam")
    yesterday = TODAY - dt.timedelta(days=1)
    for seeded, verdicts, at in (
            (contoso, {CRITICAL: Status.FAIL, HIGH: Status.PASS}, TODAY - dt.timedelta(days=3)),
            (contoso, {CRITICAL: Status.FAIL, HIGH: Status.FAIL}, yesterday + dt.timedelta(hours=1)),
            (contoso, {CRITICAL: Status.PASS, HIGH: Status.FAIL}, yesterday + dt.timedelta(hours=5)),
            (fabrikam, {MEDIUM: Status.PASS}, TODAY - dt.timedelta(days=3)),
            (fabrikam, {CRITICAL: Status.FAIL, HIGH: Status.FAIL}, yesterday + dt.timedelta(hours=3))):
        record(owner_engine, app_engine, seeded, verdicts, at)
    analyst = MembershipView(msp_id=msp, role=Role.MSP_ANALYST)
    return {"msp": msp, "contoso": contoso, "fabrikam": fabrikam, "analyst_membership": analyst,
            "analyst": add_person(owner_engine, scope_key, [analyst]),
            "admin": add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)]),
            "contoso_viewer": add_person(owner_engine, scope_key, [
                MembershipView(msp_id=msp, role=Role.CUSTOMER_VIEWER, customer_id=contoso.customer_id)])}


@pytest.fixture
def client(web_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as test_client:
        yield test_client


def test_the_fleet_page_lists_net_changes_for_the_period(client: TestClient, fleet: dict) -> None:  # type: ignore[type-arg]
    sign_in(client, fleet["analyst"][1])
    page = client.get(f"/changes?period=since&since={YESTERDAY}")
    assert page.status_code == 200
    body = html.unescape(page.text).split("By check")[0]
    high, critical = get_check(HIGH).meta.title, get_check(CRITICAL).meta.title
    # Since yesterday: Contoso's high passed before and fails now, its critical failed and passes;
    # Fabrikam's are both new. (Since three days ago the critical would be new, then fixed: no net change.)
    rows = [line for line in body.split("<tr>") if "change-" in line]
    summary = sorted((("Contoso" if "Contoso" in r else "Fabrikam"), title, kind) for r in rows
                     for title in (high, critical) if title in r
                     for kind in ("regressed", "fixed", "new") if f"change-{kind}" in r)
    assert summary == [("Contoso", critical, "fixed"), ("Contoso", high, "regressed"),
                       ("Fabrikam", critical, "new"), ("Fabrikam", high, "new")]
    # Only what the last scan of each changed: Contoso's fix, Fabrikam's first findings.
    last = html.unescape(client.get("/changes?period=last_scan").text)
    assert "change-fixed" in last and "change-regressed" not in last.split("By check")[0]
    bad = client.get("/changes?period=since&since=not-a-date")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


def test_a_customer_viewer_reads_its_timeline_but_not_the_fleets(client: TestClient, fleet: dict) -> None:  # type: ignore[type-arg]
    sign_in(client, fleet["contoso_viewer"][1])
    contoso, fabrikam = fleet["contoso"].customer_id, fleet["fabrikam"].customer_id
    timeline = client.get(f"/customers/{contoso}/changes")
    assert timeline.status_code == 200
    assert timeline.text.count("change-regressed") == 1 and timeline.text.count("change-fixed") == 1
    assert timeline.text.count("change-new") == 0  # the first scan is where the history starts
    assert client.get(f"/customers/{fabrikam}/changes").status_code == 404
    page = client.get(f"/customers/{contoso}").text  # the week's changes, one click from the customer page
    assert "<dt>This week</dt>" in page and f'href="/customers/{contoso}/changes"' in page
    assert client.get("/changes").status_code == 403


def test_the_api_answers_the_same_drift(client: TestClient, web_engine: Engine, fleet: dict) -> None:  # type: ignore[type-arg]
    _, token = token_for(web_engine, *fleet["analyst"], fleet["analyst_membership"])
    headers = {"Authorization": f"Bearer {token}"}
    since = YESTERDAY
    answer = client.get(f"/api/v1/drift?since={since}", headers=headers).json()
    assert answer["counts"] == {"new": 2, "regressed": 1, "fixed": 1} and answer["customers"] == 2
    assert answer["period"] == "since"
    one = client.get(f"/api/v1/drift?since={since}&customer={fleet['contoso'].customer_id}", headers=headers).json()
    assert {(c["check_id"], c["kind"], c["from_status"]) for c in one["changes"]} == {
        (HIGH, "regressed", "pass"), (CRITICAL, "fixed", "fail")}
    assert client.get("/api/v1/drift?period=month", headers=headers).status_code == 400


def test_the_schedule_form_saves_and_says_what_is_wrong(client: TestClient, owner_engine: Engine,
                                                        fleet: dict) -> None:  # type: ignore[type-arg]
    csrf = sign_in(client, fleet["admin"][1])
    contoso = fleet["contoso"].customer_id
    page = client.get(f"/customers/{contoso}")
    assert 'action="/customers/' in page.text and "Save schedule" in page.text and "Suspend this customer" in page.text
    refused = client.post(f"/customers/{contoso}/schedule", data={
        "_csrf_token": csrf, "interval_hours": "24", "window": "on", "window_start": "22", "window_end": "5",
        "timezone": "Mars/Olympus"})
    assert refused.status_code == 400 and "unknown time zone" in refused.text
    saved = client.post(f"/customers/{contoso}/schedule", follow_redirects=False, data={
        "_csrf_token": csrf, "interval_hours": "168", "window": "on", "window_start": "22", "window_end": "5",
        "timezone": "Europe/London"})
    assert saved.status_code == 303
    with owner_engine.connect() as connection:
        row = connection.execute(text("SELECT scan_interval_hours, scan_window_start, scan_window_end, scan_timezone "
                                      "FROM customers WHERE id = :c"), {"c": contoso}).one()
    assert tuple(row) == (168, 22, 5, "Europe/London")
    assert "Weekly, starting between 22:00 and 05:00 Europe/London" in client.get(f"/customers/{contoso}").text
    client.post(f"/customers/{contoso}/suspension", data={"_csrf_token": csrf, "suspended": "1"})
    page = client.get(f"/customers/{contoso}").text
    assert "Suspended</strong> since" in page and "Resume scans" in page and "Save schedule" not in page
