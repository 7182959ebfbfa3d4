"""The fleet search page, its CSV export, saved searches, ``/api/v1/search``, and accepting a risk from a
finding's page, over real scans in PostgreSQL.

Contoso fails the critical and high checks, Fabrikam passes them; the expected answers are written from
that, and the score after an acceptance from the weights (Contoso: critical 10 and high 5 failing, medium
3 passing: 3 / 18 = 16.7; the critical accepted: 3 / 8 = 37.5).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.risks import rescore_customer
from portal.services.scans import record_scan
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from scanner import Status
from tests.portal.services.support import CRITICAL, HIGH, MEDIUM, insert_scan, make_customer, make_msp, scan_result
from tests.portal.web.support import sign_in, token_for
from tests.support.people import add_person

HOSTILE = '=cmd|"/c calc"!A1 <script>alert(1)</script>'
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def fleet(app_engine: Engine, owner_engine: Engine, scope_key: bytes) -> dict[str, object]:
    msp = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp, name="Contoso")
    fabrikam = make_customer(owner_engine, msp, name="Fabrikam")
    hostile = make_customer(owner_engine, msp, name=HOSTILE)
    started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    for seeded, status in ((contoso, Status.FAIL), (fabrikam, Status.PASS), (hostile, Status.FAIL)):
        scan_id = insert_scan(owner_engine, seeded, status="running")
        with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
            record_scan(uow, scan_id, scan_result({CRITICAL: status, HIGH: status, MEDIUM: Status.PASS},
                                                  started_at=started))
    admin_membership = MembershipView(msp_id=msp, role=Role.MSP_ADMIN)
    return {
        "msp": msp, "contoso": contoso, "fabrikam": fabrikam, "hostile": hostile, "admin_membership": admin_membership,
        "admin": add_person(owner_engine, scope_key, [admin_membership]),
        "analyst": add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ANALYST)]),
        "contoso_admin": add_person(owner_engine, scope_key, [
            MembershipView(msp_id=msp, role=Role.CUSTOMER_ADMIN, customer_id=contoso.customer_id)]),
    }


class RescoreRecorder(list):  # type: ignore[type-arg]
    def __call__(self, *, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        self.append((msp_id, customer_id))


@pytest.fixture
def rescores() -> RescoreRecorder:
    return RescoreRecorder()


@pytest.fixture
def client(web_engine: Engine, rescores: RescoreRecorder) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine, rescore_queue=rescores))) as test_client:
        yield test_client


def _csrf(client: TestClient, path: str) -> str:
    return _CSRF.search(client.get(path).text).group(1)  # type: ignore[union-attr]


def test_the_page_answers_from_the_box_and_the_controls(client: TestClient, fleet) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, fleet["analyst"][1])
    page = client.get("/search", params={"q": f"check:{CRITICAL}", "status": "fail"}).text
    assert "<strong>2</strong> findings" in page and "<strong>2</strong> customers" in page
    assert ">Contoso<" in page and ">Fabrikam<" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    # The controls are terms of the one query: saving keeps them, and the box's link carries them.
    assert f'name="query" value="check:{CRITICAL} status:fail"' in page
    passing = client.get("/search", params={"q": f"check:{CRITICAL}", "status": "pass"}).text
    assert ">Fabrikam<" in passing and ">Contoso<" not in passing


def test_a_query_that_does_not_read_is_a_400_that_says_why(client: TestClient, fleet) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, fleet["analyst"][1])
    response = client.get("/search", params={"q": "colour:red"})
    assert response.status_code == 400 and "unknown filter &#39;colour:&#39;" in response.text
    assert client.get("/search/export.csv", params={"q": "status:maybe"}).status_code == 400


def test_the_export_holds_every_finding_and_no_cell_is_a_formula(client: TestClient, fleet) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, fleet["analyst"][1])
    response = client.get("/search/export.csv", params={"q": "status:fail"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted((r["customer"], r["check_id"]) for r in rows) == sorted(
        [(c, k) for c in ("Contoso", "'" + HOSTILE) for k in (CRITICAL, HIGH)])
    assert {r["evidence"] for r in rows} == {'{"read": 1}'} and {r["affected"] for r in rows} == {"obj-1"}


def test_saved_searches_save_share_and_delete(client: TestClient, fleet, scope_key: bytes) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, fleet["analyst"][1])
    token = _csrf(client, "/search?q=status:fail")
    response = client.post("/search/saved", data={"_csrf_token": token, "name": "Failing", "query": "status:fail",
                                                  "shared": "on"}, follow_redirects=False)
    assert response.status_code == 303
    again = client.post("/search/saved", data={"_csrf_token": token, "name": "Failing", "query": "smtp"})
    assert "already have a saved search" in again.text
    bad = client.post("/search/saved", data={"_csrf_token": token, "name": "Bad", "query": "colour:red"})
    assert "unknown filter" in bad.text
    mine = client.get("/search").text
    assert ">Failing</a>" in mine and "Delete Failing" in mine

    with TestClient(client.app) as colleague:
        sign_in(colleague, fleet["admin"][1])
        theirs = colleague.get("/search").text
        assert ">Failing</a>" in theirs and "Delete Failing" not in theirs  # shared, not theirs to delete
    saved_id = re.search(r'/search/saved/([0-9a-f-]{36})/delete', mine).group(1)  # type: ignore[union-attr]
    assert client.post(f"/search/saved/{saved_id}/delete", data={"_csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert ">Failing</a>" not in client.get("/search").text


def test_the_api_answers_the_contract_shape(client: TestClient, fleet, web_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    user_id, email = fleet["admin"]
    _, token = token_for(web_engine, user_id, email, fleet["admin_membership"])
    bearer = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/search", headers=bearer, params={"q": f"check:{CRITICAL} status:fail"}).json()
    assert body["query"] == f"check:{CRITICAL} status:fail"
    assert sorted(r["customer"]["name"] for r in body["results"]) == sorted(["Contoso", HOSTILE])
    first = body["results"][0]
    assert {"customer", "check_id", "status", "severity", "references", "evidence", "affected"} <= set(first)
    assert (first["check_id"], first["status"], first["severity"], first["evidence"], first["affected"]) == \
        (CRITICAL, "fail", "critical", {"read": 1}, ["obj-1"])
    refused = client.get("/api/v1/search", headers=bearer, params={"q": "status:maybe"})
    assert refused.status_code == 400 and "status cannot be 'maybe'" in refused.json()["detail"]


def test_a_customer_admin_accepts_a_risk_and_it_shows_as_accepted_everywhere(  # type: ignore[no-untyped-def]
        client: TestClient, fleet, rescores: RescoreRecorder, app_engine: Engine, web_engine: Engine) -> None:
    contoso = fleet["contoso"]
    sign_in(client, fleet["contoso_admin"][1])
    finding = f"/customers/{contoso.customer_id}/findings/{CRITICAL}"
    token = _csrf(client, finding)
    expiry = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    refused = client.post(f"{finding}/acceptance", data={"_csrf_token": token, "reason": "", "expires_on": expiry})
    assert refused.status_code == 400 and "say why the risk is accepted" in refused.text
    late = client.post(f"{finding}/acceptance", data={"_csrf_token": token, "reason": "ok", "expires_on": "soon"})
    assert late.status_code == 400 and "YYYY-MM-DD" in late.text
    assert rescores == []
    done = client.post(f"{finding}/acceptance", data={"_csrf_token": token, "reason": "Kiosk accounts, MFA by badge",
                                                      "expires_on": expiry}, follow_redirects=False)
    assert done.status_code == 303 and rescores == [(contoso.msp_id, contoso.customer_id)]
    page = client.get(finding).text
    assert "Kiosk accounts, MFA by badge" in page and f"Until</dt><dd>{expiry}" in page
    assert 'status-accepted">accepted<' in page

    rescore_customer(app_engine, contoso.msp_id, contoso.customer_id, actor="system:worker")  # what the worker does
    customer = client.get(f"/customers/{contoso.customer_id}").text
    assert 'class="score score-f">38' in customer  # 37.5 shown rounded; 16.7 before
    user_id, email = fleet["admin"]
    _, api_token = token_for(web_engine, user_id, email, fleet["admin_membership"])
    body = client.get("/api/v1/search", headers={"Authorization": f"Bearer {api_token}"},
                      params={"q": f"check:{CRITICAL}"}).json()
    assert {(r["customer"]["name"], r["status"]) for r in body["results"]} == {
        ("Contoso", "accepted"), ("Fabrikam", "pass"), (HOSTILE, "fail")}

    assert client.post(f"{finding}/acceptance/revoke", data={"_csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert 'status-fail">fail<' in client.get(finding).text


def test_reverify_from_the_page_queues_the_answers_checks_and_shows_progress(  # type: ignore[no-untyped-def]
        web_engine: Engine, fleet) -> None:
    sent: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []
    with TestClient(create_app(WebRuntime(engine=web_engine, scan_group=sent.extend))) as client:
        sign_in(client, fleet["analyst"][1])
        token = _csrf(client, "/search?q=status:fail")
        response = client.post("/search/reverify", follow_redirects=False,
                               data={"_csrf_token": token, "query": f"check:{CRITICAL} status:fail"})
        assert response.status_code == 303 and "reverify=" in response.headers["location"]
        assert sorted(c for _, _, c in sent) == sorted([fleet["contoso"].customer_id, fleet["hostile"].customer_id])
        page = client.get(response.headers["location"]).text
        assert "Re-verifying" in page and "0 of 2 tenants" in page and 'hx-trigger="every 2s"' in page
        nothing = client.post("/search/reverify", data={"_csrf_token": token, "query": "check:no.such.check"},
                              follow_redirects=False)
        assert "reverify_error" in nothing.headers["location"]
