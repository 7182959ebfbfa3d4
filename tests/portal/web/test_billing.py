"""Billing through the portal and its API, end to end on PostgreSQL: seats and the over-limit signal,
the bill split and its exports, the platform operator's rate card, holds, notes and invoice references,
and what an MSP's own people never see of them. (Who is refused what, route by route, is the
authorization matrix's; this file is what the allowed ones get.)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.billing import Period, close_period
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.portal.services.support import make_customer, make_msp
from tests.portal.web.support import sign_in, token_for
from tests.support.database import set_scope
from tests.support.people import add_person


@dataclass
class Msp:
    msp_id: uuid.UUID
    customers: dict[str, uuid.UUID]
    admin: tuple[uuid.UUID, str]
    analyst: tuple[uuid.UUID, str]


def _scan(owner_engine: Engine, msp_id: uuid.UUID, customer_id: uuid.UUID, licensed: int,
          finished: dt.datetime) -> None:
    with owner_engine.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text(
            "INSERT INTO scans (id, msp_id, customer_id, trigger, status, started_at, finished_at, environment) "
            "VALUES (gen_random_uuid(), :m, :c, 'manual', 'completed', :f, :f, CAST(:e AS jsonb))"),
            {"m": msp_id, "c": customer_id, "f": finished, "e": json.dumps({"licensed": licensed})})


def _month_start() -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    return dt.datetime(now.year, now.month, 1, tzinfo=dt.UTC)


@pytest.fixture
def msp(owner_engine: Engine, scope_key: bytes) -> Msp:
    """An MSP with two customers in service since before this month: Contoso with 40 managed users and
    "=HYPERLINK(..)" (a name a spreadsheet would run), 10 users."""
    msp_id = make_msp(owner_engine)
    customers = {}
    for name, users in (("Contoso", 40), ('=HYPERLINK("http://evil.test","x")', 10)):
        seeded = make_customer(owner_engine, msp_id, name=name)
        with owner_engine.begin() as connection:
            set_scope(connection, msp_id)
            connection.execute(text("UPDATE customers SET created_at = :a WHERE id = :c"),
                               {"a": _month_start() - dt.timedelta(days=40), "c": seeded.customer_id})
        _scan(owner_engine, msp_id, seeded.customer_id, users, _month_start() - dt.timedelta(days=2))
        customers[name] = seeded.customer_id
    admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp_id, role=Role.MSP_ADMIN)], "Admin")
    analyst = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp_id, role=Role.MSP_ANALYST)], "Analyst")
    return Msp(msp_id, customers, admin, analyst)


@pytest.fixture
def operator(owner_engine: Engine, scope_key: bytes) -> tuple[uuid.UUID, str]:
    """A platform operator with no membership anywhere (only the owner marks one)."""
    user_id, email = add_person(owner_engine, scope_key, [], "Operator")
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE users SET is_platform_operator = true WHERE id = :u"), {"u": user_id})
    return user_id, email


@pytest.fixture
def client(web_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as test_client:
        yield test_client


def _csrf(client: TestClient, path: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', client.get(path).text).group(1)  # type: ignore[union-attr]


def test_a_limit_below_usage_is_over_limit_and_nothing_stops(client: TestClient, msp: Msp) -> None:
    csrf = sign_in(client, msp.admin[1])
    contoso = msp.customers["Contoso"]
    response = client.post(f"/billing/customers/{contoso}/terms",
                           data={"seat_limit": "25", "licence_type": "per_user", "_csrf_token": csrf})
    assert response.status_code == 200  # followed the redirect back to the page
    page = client.get("/billing/licensing").text
    row = page[page.index(f'id="c-{contoso}"'):]
    row = row[:row.index("</tr>")]
    assert "Over limit" in row and "160%" in row and "bar-over" in row
    assert re.search(r'kpi-value">1</span><span class="kpi-label">Customers over limit', page)
    assert re.search(r'kpi-value">50</span><span class="kpi-label">Total licensed users', page)
    # A signal, never a block: the customer's page still opens, its figures are still there.
    assert client.get(f"/customers/{contoso}").status_code == 200
    # Blank is unlimited again; a word is refused with the reason, and nothing changes.
    bad = client.post(f"/billing/customers/{contoso}/terms", data={"seat_limit": "lots", "_csrf_token": csrf})
    assert bad.status_code == 400 and "whole number" in bad.text
    client.post(f"/billing/customers/{contoso}/terms", data={"seat_limit": "", "_csrf_token": csrf})
    assert "Unlimited" in client.get("/billing/licensing").text
    changes = client.get("/api/v1/billing/changes").json()["changes"]
    assert [(c["field"], c["old_value"], c["new_value"]) for c in changes] == [
        ("seat_limit", "25", None), ("seat_limit", None, "25")]


def test_an_analyst_sees_seats_but_no_money(client: TestClient, msp: Msp) -> None:
    sign_in(client, msp.analyst[1])
    page = client.get("/billing/licensing")
    assert page.status_code == 200 and "Contoso" in page.text and "Set limit" not in page.text
    for path in ("/billing", "/billing/invoice", "/billing/invoice.csv", "/api/v1/billing/invoice"):
        response = client.get(path)
        assert response.status_code == 403 and "USD" not in response.text, path


def test_the_split_adds_up_and_exports_safely(client: TestClient, msp: Msp, owner_engine: Engine) -> None:
    csrf = sign_in(client, msp.admin[1])
    client.post("/billing/tiers", data={"name_starter": "Essentials", "name_professional": "Plus",
                                        "name_enterprise": "Complete", "price_professional": "0.10",
                                        "_csrf_token": csrf})
    document = client.get("/api/v1/billing/invoice").json()
    assert Decimal(document["total"]) == sum(Decimal(line["amount"]) for line in document["lines"])
    assert {line["customer"]["name"] for line in document["lines"]} == set(msp.customers)
    # 50 users all month so far at the first band (3.00): total = 50 x days so far x 3.00 / days in the month.
    days = document["period"]["days_counted"]
    month_days = document["period"]["days"]
    expected = (Decimal(50 * days) * 3 / month_days).quantize(Decimal("0.01"))
    assert Decimal(document["total"]) == expected and document["band_rate"] == "3.00"
    # The client price of 0.10 a user is below the cost: the margin is negative, and stays a number in CSV.
    contoso = next(line for line in document["lines"] if line["customer"]["name"] == "Contoso")
    assert Decimal(contoso["margin"]) < 0
    exported = client.get("/billing/invoice.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(document["total"])
    by_tier = {r["customer_name"]: r for r in rows}
    assert by_tier["Contoso"]["margin"].startswith("-")  # a negative number, not text a spreadsheet would evaluate
    assert "'=HYPERLINK(\"http://evil.test\",\"x\")" in by_tier  # a formula-looking name is quoted as text
    assert "Plus" in client.get("/billing/invoice").text  # the MSP's own tier names


def test_the_operator_sets_the_rate_and_the_msp_admin_sees_it(client: TestClient, msp: Msp,
                                                              operator: tuple[uuid.UUID, str]) -> None:
    csrf = sign_in(client, operator[1])
    assert client.get("/", follow_redirects=False).headers["location"] == "/operator"
    listing = client.get("/operator")
    assert listing.status_code == 200 and f"/operator/msps/{msp.msp_id}" in listing.text
    response = client.post(f"/operator/msps/{msp.msp_id}/rate-card", data={
        "currency": "eur", "band_floor": ["0", "20", ""], "band_rate": ["4.00", "2.00", ""],
        "branding_addon": "31.00", "branding_split": "equal", "reporting_addon": "", "reporting_split": "user_days",
        "applies_from": "this_month", "_csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    bad = client.post(f"/operator/msps/{msp.msp_id}/rate-card", data={
        "currency": "EUR", "band_floor": ["10"], "band_rate": ["1"], "_csrf_token": csrf})
    assert bad.status_code == 400 and "start at 0" in bad.text
    card = client.get(f"/api/v1/operator/msps/{msp.msp_id}/rate-card").json()
    assert card["currency"] == "EUR" and card["bands"] == [{"from_users": 0, "rate": "4.00"},
                                                           {"from_users": 20, "rate": "2.00"}]
    sign_in(client, msp.admin[1])
    document = client.get("/api/v1/billing/invoice").json()
    # 50 users on average: the 20 band, 2.00; the branding add-on, 31.00, split equally: 15.50 each.
    assert (document["currency"], document["band_rate"], document["addons_total"]) == ("EUR", "2.00", "31.00")
    assert {line["addon_amount"] for line in document["lines"]} == {"15.50"}
    assert "EUR 2.00" in client.get("/billing/invoice").text


def test_a_suspended_msp_reads_but_changes_nothing_and_is_not_scanned(
        client: TestClient, msp: Msp, operator: tuple[uuid.UUID, str], owner_engine: Engine) -> None:
    csrf = sign_in(client, operator[1])
    client.post(f"/operator/msps/{msp.msp_id}/suspension", data={"suspended": "1", "_csrf_token": csrf})
    assert "suspended" in client.get("/operator").text
    csrf = sign_in(client, msp.admin[1])
    fleet = client.get("/fleet")
    assert fleet.status_code == 200 and "suspended by the platform operator" in fleet.text
    refused = client.post("/billing/tiers", data={"name_starter": "A", "name_professional": "B",
                                                  "name_enterprise": "C", "_csrf_token": csrf})
    assert refused.status_code == 403 and "read only" in refused.text
    scan = client.post(f"/customers/{msp.customers['Contoso']}/scans", data={"_csrf_token": csrf})
    assert scan.status_code == 403
    # The database refuses the scan row itself, whoever inserts it.
    with pytest.raises(Exception, match="suspended by the platform operator"), owner_engine.begin() as connection:
        set_scope(connection, msp.msp_id)
        connection.execute(text("INSERT INTO scans (id, msp_id, customer_id, trigger) "
                                "VALUES (gen_random_uuid(), :m, :c, 'manual')"),
                           {"m": msp.msp_id, "c": msp.customers["Contoso"]})
    # Signing out still works; the operator's reactivation opens it again.
    csrf = sign_in(client, operator[1])
    client.post(f"/operator/msps/{msp.msp_id}/suspension", data={"suspended": "0", "_csrf_token": csrf})
    csrf = sign_in(client, msp.admin[1])
    assert "suspended by the platform operator" not in client.get("/fleet").text
    assert client.post("/billing/tiers", data={"name_starter": "A", "name_professional": "B", "name_enterprise": "C",
                                               "_csrf_token": csrf}, follow_redirects=False).status_code == 303


def test_only_the_operator_lifts_its_hold_on_a_customer(client: TestClient, msp: Msp,
                                                        operator: tuple[uuid.UUID, str]) -> None:
    contoso = msp.customers["Contoso"]
    csrf = sign_in(client, operator[1])
    client.post(f"/operator/msps/{msp.msp_id}/customers/{contoso}/suspension",
                data={"suspended": "1", "_csrf_token": csrf})
    csrf = sign_in(client, msp.admin[1])
    resume = client.post(f"/customers/{contoso}/suspension", data={"suspended": "", "_csrf_token": csrf})
    assert resume.status_code == 403 and "platform operator" in resume.text
    assert "suspended" in client.get("/billing/licensing").text
    # The other customer is not held: the admin still changes its terms.
    other = msp.customers['=HYPERLINK("http://evil.test","x")']
    assert client.post(f"/billing/customers/{other}/terms", data={"seat_limit": "3", "_csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    csrf = sign_in(client, operator[1])
    client.post(f"/operator/msps/{msp.msp_id}/customers/{contoso}/suspension",
                data={"suspended": "0", "_csrf_token": csrf})
    csrf = sign_in(client, msp.admin[1])
    assert client.post(f"/billing/customers/{contoso}/terms", data={"seat_limit": "3", "_csrf_token": csrf},
                       follow_redirects=False).status_code == 303


def test_internal_notes_and_invoice_references_never_reach_the_msp(
        client: TestClient, msp: Msp, operator: tuple[uuid.UUID, str], app_engine: Engine, web_engine: Engine,
        owner_engine: Engine) -> None:
    last = Period.month_of(_month_start().date()).previous()
    with unit_of_work(app_engine, Scope.for_msp(msp.msp_id, actor="system:billing")) as uow:
        invoice_id = close_period(uow, last, dt.datetime.now(dt.UTC))
    secret_note, secret_ref = f"note-{uuid.uuid4().hex}", f"REF-{uuid.uuid4().hex[:10]}"
    csrf = sign_in(client, operator[1])
    client.post(f"/operator/msps/{msp.msp_id}/note", data={"note": secret_note, "_csrf_token": csrf})
    client.post(f"/operator/msps/{msp.msp_id}/customers/{msp.customers['Contoso']}/note",
                data={"note": secret_note + "-c", "_csrf_token": csrf})
    client.post(f"/operator/msps/{msp.msp_id}/invoices/{invoice_id}/reference",
                data={"reference": secret_ref, "note": secret_note + "-r", "_csrf_token": csrf})
    detail = client.get(f"/api/v1/operator/msps/{msp.msp_id}").json()
    assert detail["internal_note"] == secret_note
    assert [i["reference"] for i in detail["invoices"]] == [secret_ref]
    assert secret_ref in client.get(f"/operator/msps/{msp.msp_id}").text

    sign_in(client, msp.admin[1])
    _, token = token_for(web_engine, msp.admin[0], msp.admin[1], MembershipView(msp_id=msp.msp_id,
                                                                                role=Role.MSP_ADMIN))
    bearer = {"Authorization": f"Bearer {token}"}
    seen = [client.get(path).text for path in (
        "/billing", "/billing/licensing", "/billing/invoice", "/billing/invoice.csv", "/billing/invoice.json",
        f"/billing/invoices/{invoice_id}", f"/billing/invoices/{invoice_id}/export.csv", "/fleet",
        f"/customers/{msp.customers['Contoso']}", "/audit")]
    client.cookies.clear()
    seen += [client.get(path, headers=bearer).text for path in (
        "/api/v1/billing/invoice", "/api/v1/billing/invoices", f"/api/v1/billing/invoices/{invoice_id}",
        "/api/v1/billing/seats", "/api/v1/billing/changes", "/api/v1/customers")]
    assert all(secret_note not in body and secret_ref not in body for body in seen)
    assert client.get(f"/api/v1/operator/msps/{msp.msp_id}", headers=bearer).status_code == 403
    # And the database shows the MSP admin's scope no row of them.
    with unit_of_work(web_engine, Scope(msp.msp_id, actor=msp.admin[1], user_id=msp.admin[0])) as uow:
        assert uow.session.scalar(text("SELECT count(*) FROM operator_notes")) == 0
        assert uow.session.scalar(text("SELECT count(*) FROM invoice_references")) == 0


def test_a_held_customer_cannot_be_changed_however_its_id_is_written(client: TestClient, msp: Msp, scope_key: bytes,
                                                                     owner_engine: Engine,
                                                                     operator: tuple[uuid.UUID, str]) -> None:
    """The attack: the same customer id in capitals, or without hyphens, routes to the same customer; the
    read-only rule must hold it all the same."""
    contoso = msp.customers["Contoso"]
    csrf = sign_in(client, operator[1])
    client.post(f"/operator/msps/{msp.msp_id}/customers/{contoso}/suspension",
                data={"suspended": "1", "_csrf_token": csrf})
    csrf = sign_in(client, msp.admin[1])
    for written in (str(contoso).upper(), contoso.hex, str(contoso)):
        response = client.post(f"/billing/customers/{written}/terms", data={"seat_limit": "1", "_csrf_token": csrf})
        assert response.status_code == 403 and "read only" in response.text, written
    with owner_engine.connect() as connection:
        assert connection.scalar(text("SELECT seat_limit FROM customers WHERE id = :c"), {"c": contoso}) is None
    # The held customer's own admin is held too: no inviting a colleague while read only.
    resident = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp.msp_id, role=Role.CUSTOMER_ADMIN,
                                                                   customer_id=contoso)], "Resident")
    csrf = sign_in(client, resident[1])
    assert "read only" in client.get(f"/customers/{contoso}").text
    invited = client.post("/team/invitations", data={"email": "new@contoso.test", "role": "customer_viewer",
                                                     "_csrf_token": csrf})
    assert invited.status_code == 403
