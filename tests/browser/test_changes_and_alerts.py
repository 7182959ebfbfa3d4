"""What changed across the fleet, a customer's timeline and scan schedule, and the alerts page, in
Chromium over real recorded scans: what an MSP admin sees on a Monday morning."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from portal.db.models import Role
from portal.services.accounts import MembershipView
from scanner import catalogue
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.browser.test_fleet import _history, _sign_in
from tests.portal.services.support import make_customer, make_msp
from tests.support.people import add_person


def test_an_admin_reads_what_changed_sets_a_schedule_and_routes_alerts(page: Page, portal: str, owner_engine: Engine,
                                                                       app_engine: Engine, scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp, name="Contoso Pharma")
    fabrikam = make_customer(owner_engine, msp, name="Fabrikam Legal")
    # Contoso slips on the last day (more of the catalogue fails); Fabrikam fixes some.
    _history(app_engine, owner_engine, contoso, [0.3, 0.3, 0.38])
    _history(app_engine, owner_engine, fabrikam, [0.2, 0.2, 0.1])
    _, admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)], name="Ada Min")
    regressed = int(len(catalogue()) * 0.38) - int(len(catalogue()) * 0.3)
    fixed = int(len(catalogue()) * 0.2) - int(len(catalogue()) * 0.1)

    _sign_in(page, portal, admin)
    page.get_by_role("link", name="Changes", exact=True).click()
    page.get_by_label("Period").select_option("last_scan")
    page.get_by_role("button", name="Show").click()
    figures = page.get_by_role("region", name="Changes in each customer's latest scan")
    expect(figures.locator(".kpi").nth(0)).to_contain_text(f"{regressed}Regressed")
    expect(figures.locator(".kpi").nth(2)).to_contain_text(f"{fixed}Fixed")
    changes = page.get_by_role("region", name="Changes", exact=True)
    expect(changes.locator("tr", has_text="Contoso Pharma").locator(".change-regressed")).to_have_count(regressed)
    expect(changes.locator("tr", has_text="Fabrikam Legal").locator(".change-fixed")).to_have_count(fixed)
    screenshot(page, "changes-fleet")

    changes.get_by_role("link", name="Contoso Pharma").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes at Contoso Pharma")
    expect(page.locator(".change-regressed")).to_have_count(regressed)
    screenshot(page, "changes-customer-timeline")

    page.get_by_role("link", name="Contoso Pharma").click()
    schedule = page.locator("#schedule")
    schedule.get_by_label("How often").select_option("12")
    schedule.get_by_label("Only between").check()
    schedule.get_by_label("From").select_option("22")
    schedule.get_by_label("to", exact=True).select_option("5")
    schedule.get_by_label("Time zone").fill("Europe/London")
    schedule.get_by_role("button", name="Save schedule").click()
    expect(page.locator("#schedule")).to_contain_text("Every 12 hours, starting between 22:00 and 05:00 Europe/London")
    screenshot(page, "customer-schedule")
    page.locator("#schedule").screenshot(path=str(SCREENSHOTS / "customer-schedule-card.png"))

    page.get_by_role("link", name="Alerts", exact=True).click()
    page.get_by_label("Kind").select_option("email")
    page.get_by_label("Name").fill("Service desk")
    page.get_by_label("Webhook URL, or email addresses").fill("servicedesk@northwind-msp.example")
    page.get_by_role("button", name="Add channel").click()
    page.get_by_label("When").select_option("score_drop")
    page.get_by_label("N", exact=True).fill("15")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("region", name="Rules")).to_contain_text("Score dropped by more than 15 points")
    page.get_by_role("button", name="Send a test").click()
    expect(page.get_by_role("region", name="Delivery log")).to_contain_text("pending")
    screenshot(page, "alerts")


def test_an_admin_makes_a_baseline_and_reads_the_alignment(page: Page, portal: str, owner_engine: Engine,
                                                           app_engine: Engine, scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    for name, share in (("Contoso Pharma", 0.5), ("Fabrikam Legal", 0.1), ("Tailspin Toys", 0.3)):
        _history(app_engine, owner_engine, make_customer(owner_engine, msp, name=name), [share])
    _, admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)], name="Ada Min")

    _sign_in(page, portal, admin)
    page.get_by_role("link", name="Baselines", exact=True).click()
    page.get_by_role("link", name="New baseline").click()
    page.get_by_label("Name", exact=True).fill("Northwind standard")
    page.get_by_label("The default: every customer no other baseline matches").check()
    page.get_by_label("Most Global Administrators").fill("3")
    screenshot(page, "baseline-form")
    page.get_by_role("button", name="Save baseline").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    rows = page.get_by_role("region", name="Alignment").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Contoso Pharma")  # least aligned first
    screenshot(page, "baselines")
