"""Billing in Chromium: an MSP admin sets a seat limit below usage in the Set limit dialog and sees the
customer counted over limit; an MSP admin gives a shared tenant's domains to two billing customers,
reviews, submits, and after the next scan sees the seats split; the invoice shows the split and the
platform operator's page its rate card."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.scans import record_scan
from scanner import Status
from tests.browser.conftest import screenshot
from tests.browser.test_fleet import _sign_in
from tests.portal.services.support import CRITICAL, Seeded, insert_scan, make_customer, make_msp, scan_result
from tests.support.database import set_scope
from tests.support.people import add_person

UTC = dt.UTC
DIRECTORY = {"domains": [{"name": "contosogroup.com", "default": True, "initial": False},
                         {"name": "fabrikam.com", "default": False, "initial": False},
                         {"name": "northwind.com", "default": False, "initial": False}],
             "groups": [{"id": "5b2a4c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d", "name": "All staff", "kind": "microsoft365",
                         "dynamic": False}]}
#: 60 licensed users at the group's own domain, 25 at fabrikam.com, 15 at northwind.com.
PARTITIONS = [{"domains": ["contosogroup.com"], "groups": [], "count": 60},
              {"domains": ["fabrikam.com"], "groups": [], "count": 25},
              {"domains": ["northwind.com"], "groups": [], "count": 15}]


def _scan(owner_engine: Engine, app_engine: Engine, seeded: Seeded, at: dt.datetime, licensed: int) -> None:
    result = dataclasses.replace(
        scan_result({CRITICAL: Status.FAIL}, started_at=at),
        environment={"licensed": licensed, "licensed_partitions": PARTITIONS if licensed == 100 else
                     [{"domains": ["contoso.com"], "groups": [], "count": licensed}], "billing_groups_asked": []},
        directory=DIRECTORY if licensed == 100 else None)
    scan_id = insert_scan(owner_engine, seeded, status="running")
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        record_scan(uow, scan_id, result)


def _seat_cells(page: Page, name: str) -> list[str]:
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader").filter(has_text=name)).first
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def test_an_admin_sets_a_limit_below_usage_and_splits_a_shared_tenant(page: Page, portal: str, owner_engine: Engine,
                                                                     app_engine: Engine, scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp, name="Contoso Pharma")
    group = make_customer(owner_engine, msp, name="Contoso Group")
    _scan(owner_engine, app_engine, contoso, dt.datetime.now(UTC) - dt.timedelta(hours=3), 48)
    _scan(owner_engine, app_engine, group, dt.datetime.now(UTC) - dt.timedelta(hours=3), 100)
    _, admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)], name="Ada Min")
    _sign_in(page, portal, admin)

    # Seats: set Contoso Pharma's limit below its 48 users in the dialog.
    page.goto(f"{portal}/billing/licensing")
    expect(page.get_by_role("heading", name="Licensing")).to_be_visible()
    page.get_by_role("row").filter(has_text="Contoso Pharma").get_by_role("button", name="Set limit").click()
    dialog = page.get_by_role("dialog", name="Seat limit for Contoso Pharma")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Seat limit").fill("40")
    dialog.get_by_role("button", name="Save limit").click()
    expect(page.get_by_role("row").filter(has_text="Contoso Pharma").get_by_text("Over limit")).to_be_visible()
    cells = _seat_cells(page, "Contoso Pharma")
    assert cells[1:3] == ["48", "40"] and cells[3].endswith("120%")
    expect(page.locator(".kpi").filter(has_text="Customers over limit").locator(".kpi-value")).to_have_text("1")
    assert page.locator(".usage-bar.over").count() == 1  # the bar turned red
    screenshot(page, "billing-licensing-over-limit")

    # A shared tenant: give fabrikam.com to a new billing customer Fabrikam, northwind.com to Northwind.
    for domain, name in (("fabrikam.com", "Fabrikam"), ("northwind.com", "Northwind")):
        page.goto(f"{portal}/billing/licensing")
        page.get_by_role("row").filter(has_text="Contoso Group").get_by_role("link", name="Manage tenant").click()
        expect(page.get_by_role("heading", name="Manage tenant: Contoso Group")).to_be_visible()
        page.get_by_label("Kind").select_option("domain")
        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_role("row").filter(has_text="All staff")).to_have_count(0)  # the filter hides groups
        if name == "Northwind":
            # fabrikam.com is Fabrikam's now: no box to tick, a link to it instead.
            fabrikam_row = page.get_by_role("row").filter(has_text="fabrikam.com")
            expect(fabrikam_row.get_by_role("link", name="Fabrikam")).to_be_visible()
            expect(fabrikam_row.get_by_role("checkbox")).to_have_count(0)
            # Reviewing with nothing ticked says what is missing.
            page.get_by_label("Billing customer", exact=True).select_option("new")
            page.get_by_label("New billing customer's name").fill(name)
            page.get_by_role("button", name="Review").click()
            expect(page.get_by_role("alert")).to_contain_text("select at least one domain or group")
        page.get_by_label(f"Select {domain}").check()
        page.get_by_label("Billing customer", exact=True).select_option("new")
        page.get_by_label("New billing customer's name").fill(name)
        if name == "Northwind":
            screenshot(page, "billing-manage-tenant")
        page.get_by_role("button", name="Review").click()
        expect(page.get_by_role("heading", name="Review: Contoso Group")).to_be_visible()
        expect(page.get_by_text(domain)).to_be_visible()
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("status")).to_contain_text("from the next scan on")

    # Not yet split: the group still has its 100; Fabrikam and Northwind none.
    page.goto(f"{portal}/billing/licensing")
    assert _seat_cells(page, "Contoso Group")[1] == "100" and _seat_cells(page, "Fabrikam")[1] == "0"
    # The next scan of the tenant splits them.
    _scan(owner_engine, app_engine, group, dt.datetime.now(UTC) - dt.timedelta(minutes=5), 100)
    page.reload()
    assert [_seat_cells(page, n)[1] for n in ("Contoso Group", "Fabrikam", "Northwind")] == ["60", "25", "15"]
    expect(page.get_by_text("shares the tenant of")).to_have_count(2)
    expect(page.get_by_text("tenant shared with 2 billing customers")).to_be_visible()
    screenshot(page, "billing-licensing-split")

    # The invoice splits by the same user-days; its lines add up to the total.
    page.goto(f"{portal}/billing/invoice")
    expect(page.get_by_role("heading", name=re.compile("Running invoice"))).to_be_visible()
    for name in ("Contoso Group", "Fabrikam", "Northwind", "Contoso Pharma"):
        expect(page.get_by_role("rowheader", name=name)).to_be_visible()
    screenshot(page, "billing-invoice")
    document = json.loads(page.request.get(f"{portal}/billing/invoice.json").text())
    assert sum(Decimal(line["amount"]) for line in document["lines"]) == Decimal(document["total"])


def test_the_operator_sets_a_rate_card_and_suspends_an_msp(page: Page, portal: str, owner_engine: Engine,
                                                           app_engine: Engine, scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp, name="Contoso Pharma")
    _scan(owner_engine, app_engine, contoso, dt.datetime.now(UTC) - dt.timedelta(hours=3), 48)
    operator_id, operator = add_person(owner_engine, scope_key, [], name="Olga Operator")
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE users SET is_platform_operator = true WHERE id = :u"), {"u": operator_id})
        set_scope(connection, msp)
        name = connection.execute(text("SELECT name FROM msps WHERE id = :m"), {"m": msp}).scalar_one()
    _sign_in(page, portal, operator)
    expect(page.get_by_role("heading", name="MSPs")).to_be_visible()
    expect(page.locator(f'a[href="/operator/msps/{msp}"]')).to_have_text(name)
    page.locator(f'a[href="/operator/msps/{msp}"]').click()
    page.get_by_label("Band 2 from users").fill("1000")
    page.get_by_label("Band 2 rate").fill("2.25")
    page.get_by_role("group", name="Branding add-on").get_by_label("Per month").fill("49")
    page.get_by_role("button", name="Save rate card").click()
    expect(page.get_by_role("status")).to_contain_text("Rate card saved")
    page.get_by_role("button", name="Suspend MSP").click()
    expect(page.get_by_text(re.compile("suspended since"))).to_be_visible()
    screenshot(page, "billing-operator")
