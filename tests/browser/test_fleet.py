"""The fleet, a customer and a finding in a real browser, over real scans with two weeks of history;
"Scan now" with its live progress; a customer viewer sees only their tenant."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text

from portal.db.models import ConnectionState, Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.scans import record_scan
from scanner import Status, catalogue
from tests.browser.conftest import screenshot
from tests.portal.services.support import insert_scan, make_customer, make_msp, scan_result
from tests.support.database import set_scope
from tests.support.people import PASSWORD, add_person

NOW = dt.datetime.now(dt.UTC)


def _history(app_engine: Engine, owner_engine: Engine, seeded, failing_share: list[float]) -> None:
    """One scan a day, oldest first; on day i the first ``failing_share[i]`` of the catalogue fails."""
    checks = [c.id for c in catalogue()]
    for i, share in enumerate(failing_share):
        cut = int(len(checks) * share)
        verdicts = {cid: (Status.FAIL if n < cut else Status.PASS) for n, cid in enumerate(checks)}
        scan_id = insert_scan(owner_engine, seeded, status="running")
        started = NOW - dt.timedelta(days=len(failing_share) - 1 - i, hours=1)
        with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
            record_scan(uow, scan_id, scan_result(verdicts, started_at=started))
        with owner_engine.begin() as connection:
            set_scope(connection, seeded.msp_id)
            connection.execute(text("UPDATE scans SET queued_at = :t WHERE id = :i"), {"t": started, "i": scan_id})


def _sign_in(page: Page, portal: str, email: str) -> None:
    page.goto(f"{portal}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_analyst_works_from_the_fleet_to_a_finding_and_scans(page: Page, portal: str, owner_engine: Engine,
                                                                 app_engine: Engine, scope_key: bytes,
                                                                 queued_scans: list) -> None:
    msp = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp, name="Contoso Pharma")
    fabrikam = make_customer(owner_engine, msp, name="Fabrikam Legal")
    make_customer(owner_engine, msp, name="Litware Logistics", state=ConnectionState.DISCONNECTED)
    with owner_engine.begin() as connection:
        set_scope(connection, msp)
        connection.execute(text("UPDATE customers SET tags = '{gold,eu}' WHERE id = :c"), {"c": contoso.customer_id})
        connection.execute(text("UPDATE customers SET connection_reason = 'consent_missing: the app''s consent was "
                                "revoked in the tenant' WHERE name = 'Litware Logistics' AND msp_id = :m"), {"m": msp})
    _history(app_engine, owner_engine, contoso, [0.6, 0.55, 0.5, 0.5, 0.45, 0.4, 0.4, 0.35, 0.3, 0.3, 0.28, 0.5])
    _history(app_engine, owner_engine, fabrikam, [0.2, 0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.08, 0.08, 0.05, 0.05, 0.05])
    _, analyst = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ANALYST)],
                            name="Ana Lyst")

    _sign_in(page, portal, analyst)
    expect(page.get_by_role("heading", level=1)).to_have_text("Fleet")
    expect(page.locator("table.fleet tbody tr")).to_have_count(3)
    expect(page.locator("table.fleet svg.sparkline polyline")).to_have_count(2)  # the disconnected one has none
    screenshot(page, "fleet")

    page.get_by_label("Tag").select_option("gold")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("table.fleet tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Contoso Pharma").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso Pharma")
    expect(page.locator("svg.trend polyline")).to_have_count(1)
    screenshot(page, "customer")
    page.get_by_label("Status").select_option("fail")
    page.get_by_label("Severity").select_option("critical")
    page.get_by_role("button", name="Apply").click()
    first = page.locator("table tbody tr td a").first
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("heading", name="How to fix it")).to_be_visible()
    screenshot(page, "finding")

    page.get_by_role("link", name="Contoso Pharma").click()
    page.get_by_role("button", name="Scan now").click()
    expect(page.locator("#scan-progress")).to_contain_text("Scan queued")
    assert [m["customer_id"] for m in queued_scans] == [contoso.customer_id]
    with owner_engine.begin() as connection:  # a worker picks it up and finishes: the page follows by itself
        set_scope(connection, msp)
        connection.execute(text("UPDATE scans SET status = 'completed', started_at = now(), finished_at = now(), "
                                "score = 50, request_count = 42 WHERE id = :i"), {"i": queued_scans[0]["scan_id"]})
    expect(page.locator("#scan-progress")).to_contain_text("Scan finished", timeout=10_000)
    expect(page.locator("#scan-progress")).to_contain_text("42 requests")
    screenshot(page, "customer-scan-finished")

    page.goto(f"{portal}/fleet")
    page.get_by_role("link", name="Litware Logistics").click()
    expect(page.get_by_role("alert")).to_contain_text("Connection lost")
    expect(page.get_by_role("alert")).to_contain_text("consent was revoked")
    screenshot(page, "customer-disconnected")


def test_a_customer_viewer_sees_their_tenant_and_nothing_else(page: Page, portal: str, owner_engine: Engine,
                                                              app_engine: Engine, scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    mine = make_customer(owner_engine, msp, name="Northwind Traders")
    theirs = make_customer(owner_engine, msp, name="Tailspin Toys")
    _history(app_engine, owner_engine, mine, [0.3, 0.25, 0.2])
    _, viewer = add_person(owner_engine, scope_key, [
        MembershipView(msp_id=msp, role=Role.CUSTOMER_VIEWER, customer_id=mine.customer_id)], name="Vic Viewer")

    _sign_in(page, portal, viewer)
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Traders")
    expect(page.get_by_role("button", name="Scan now")).to_have_count(0)  # viewers read only
    expect(page.get_by_role("link", name="Fleet")).to_have_count(0)
    screenshot(page, "customer-viewer")
    response = page.goto(f"{page.url.rsplit('/customers/', 1)[0]}/customers/{theirs.customer_id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert "Tailspin" not in page.content()
    assert page.goto(re.sub(r"/customers/.*", "/fleet", page.url)).status == 403
