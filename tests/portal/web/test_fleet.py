"""The fleet page, its CSV export and ``/api/v1/customers`` over real scans: what an analyst sees each morning."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import ConnectionState, Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.scans import record_scan
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from scanner import Status
from tests.portal.services.support import CRITICAL, HIGH, MEDIUM, insert_scan, make_customer, make_msp, scan_result
from tests.portal.web.support import sign_in, token_for
from tests.support.database import set_scope
from tests.support.people import add_person

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOSTILE = '=HYPERLINK("http://evil.example","open")'


def _record(app_engine: Engine, owner_engine: Engine, seeded, verdicts, started_at: dt.datetime) -> None:
    scan_id = insert_scan(owner_engine, seeded, status="running")
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        record_scan(uow, scan_id, scan_result(verdicts, started_at=started_at))


@pytest.fixture
def fleet(app_engine: Engine, owner_engine: Engine, scope_key: bytes) -> dict[str, object]:
    msp = make_msp(owner_engine)
    good = make_customer(owner_engine, msp, name="Fabrikam")
    bad = make_customer(owner_engine, msp, name="Contoso")
    lost = make_customer(owner_engine, msp, name=HOSTILE, state=ConnectionState.DISCONNECTED)
    with owner_engine.begin() as connection:
        set_scope(connection, msp)
        connection.execute(text("UPDATE customers SET tags = '{gold}' WHERE id = :c"), {"c": bad.customer_id})
    all_pass = {CRITICAL: Status.PASS, HIGH: Status.PASS, MEDIUM: Status.PASS}
    _record(app_engine, owner_engine, good, all_pass, NOW - dt.timedelta(days=8))
    _record(app_engine, owner_engine, good, all_pass, NOW - dt.timedelta(hours=2))
    _record(app_engine, owner_engine, bad, all_pass, NOW - dt.timedelta(days=8))
    _record(app_engine, owner_engine, bad, {CRITICAL: Status.FAIL, HIGH: Status.FAIL, MEDIUM: Status.PASS},
            NOW - dt.timedelta(hours=1))
    admin_membership = MembershipView(msp_id=msp, role=Role.MSP_ADMIN)
    admin = add_person(owner_engine, scope_key, [admin_membership])
    viewer = add_person(owner_engine, scope_key, [
        MembershipView(msp_id=msp, role=Role.CUSTOMER_VIEWER, customer_id=bad.customer_id)])
    return {"msp": msp, "admin": admin, "admin_membership": admin_membership, "viewer": viewer,
            "good": good, "bad": bad, "lost": lost}


@pytest.fixture
def client(web_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as test_client:
        yield test_client


def _kpi(page: str, label: str) -> str:
    return re.search(rf'<span class="kpi-value">([^<]+)</span><span class="kpi-label">{label}</span>', page).group(1)


def test_the_fleet_page_shows_each_customer_with_its_figures(client: TestClient, fleet) -> None:
    sign_in(client, fleet["admin"][1])
    page = client.get("/").text  # staff land on the fleet
    assert "<h1>Fleet</h1>" in page
    assert (_kpi(page, "Customers"), _kpi(page, "Open critical"), _kpi(page, "Disconnected"),
            _kpi(page, "Stale scans")) == ("3", "1", "1", "1")  # the disconnected one has never been scored
    contoso = page[page.index(">Contoso<"):page.index(">Fabrikam<")]
    assert 'class="num crit">1<' in contoso and "+2" in contoso  # two checks fail since the last scan
    assert 'class="change down"' in contoso  # all passed a week ago
    assert contoso.count("<polyline") == 1
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in page  # a name is text, escaped

    gold = client.get("/fleet", params={"tag": "gold"}).text
    assert ">Contoso<" in gold and ">Fabrikam<" not in gold and _kpi(gold, "Customers") == "1"
    worst_first = client.get("/fleet", params={"sort": "score"}).text
    assert worst_first.index(">Contoso<") < worst_first.index(">Fabrikam<")
    assert client.get("/fleet", params={"state": "no-such-state", "page": "x"}).status_code == 200


def test_the_export_is_the_filtered_list_and_no_cell_is_a_formula(client: TestClient, fleet) -> None:
    sign_in(client, fleet["admin"][1])
    response = client.get("/fleet/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["customer"] for r in rows] == ["'" + HOSTILE, "Contoso", "Fabrikam"]
    contoso = rows[1]
    assert (contoso["open_critical"], contoso["new_since_last_scan"], contoso["tags"]) == ("1", "2", "gold")
    assert [r["customer"] for r in csv.DictReader(io.StringIO(
        client.get("/fleet/export.csv", params={"q": "fab"}).text))] == ["Fabrikam"]


def test_customer_roles_have_no_fleet(client: TestClient, fleet) -> None:
    sign_in(client, fleet["viewer"][1])
    assert client.get("/fleet").status_code == 403
    assert client.get("/fleet/export.csv").status_code == 403


def test_the_api_answers_the_same_question(client: TestClient, fleet, web_engine: Engine) -> None:
    user_id, email = fleet["admin"]
    _, token = token_for(web_engine, user_id, email, fleet["admin_membership"])
    bearer = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/customers", headers=bearer, params={"sort": "score"}).json()
    assert [c["name"] for c in body["customers"]] == ["Contoso", "Fabrikam", HOSTILE]
    scores = [c["score"] for c in body["customers"] if c["score"] is not None]
    assert len(scores) == 2  # the disconnected one has never been scored
    assert body["summary"] == {"customers": 3, "average_score": round(sum(scores) / 2, 1),
                               "open_critical": 1, "disconnected": 1, "stale": 1}
    contoso = body["customers"][0]
    assert (contoso["new_since_last_scan"], contoso["tags"], contoso["access_tier"], contoso["stale"]) == \
        (2, ["gold"], "operate", False)
    assert contoso["score_change_7d"] < 0
    gold = client.get("/api/v1/customers", headers=bearer, params={"tag": "gold", "state": "connected"}).json()
    assert [c["name"] for c in gold["customers"]] == ["Contoso"] and gold["summary"]["customers"] == 1
    assert client.get("/api/v1/customers", headers=bearer, params={"page": 2}).json()["customers"] == []
