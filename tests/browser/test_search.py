"""An analyst searches the fleet for SMTP AUTH, re-verifies, and watches the results arrive: the portal in
Chromium, a real broker, a real worker process, and the simulator over HTTPS in place of Microsoft."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from dramatiq import Broker
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from config.messages import BrokerScanGroup, BrokerScanQueue
from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.services.scans import run_scan
from portal.web.runtime import WebRuntime
from tests.browser.conftest import free_port, screenshot, serving
from tests.portal.services.support import SimWorld, add_tenant, insert_scan, make_customer, make_msp
from tests.support.people import PASSWORD, add_person
from tests.worker.conftest import broker_url, producer, start_worker, world  # noqa: F401  (fixtures)


@pytest.fixture
def live_portal(web_engine: Engine, producer: Broker) -> Iterator[str]:  # noqa: F811
    runtime = WebRuntime(engine=web_engine, scan_queue=BrokerScanQueue(producer), scan_group=BrokerScanGroup(producer))
    with serving(runtime, free_port()) as base:
        yield base


def test_an_analyst_searches_for_smtp_auth_reverifies_and_sees_results_arrive(  # type: ignore[no-untyped-def]
        page: Page, live_portal: str, world: SimWorld, owner_engine: Engine, app_engine: Engine,  # noqa: F811
        scope_key: bytes, start_worker) -> None:  # noqa: F811
    msp_id = make_msp(owner_engine)
    for name, profile in (("Northwind", "neglected"), ("Tailspin", "neglected"), ("Woodgrove", "typical")):
        seeded = make_customer(owner_engine, msp_id, tenant_id=add_tenant(world, profile), name=name)
        # In a thread of its own: Playwright's sync API holds this thread's event loop.
        scan = threading.Thread(target=run_scan, args=(app_engine, insert_scan(owner_engine, seeded), msp_id,
                                                       seeded.customer_id),
                                kwargs={"scanner_env": world.scanner_environment()})
        scan.start()
        scan.join()
    _, email = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp_id, role=Role.MSP_ANALYST)])
    page.goto(f"{live_portal}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Search", exact=True).click()

    page.get_by_label("Search every customer").fill("smtp auth check:exo.smtp_auth.org_disabled status:fail")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_role("region", name="Results")
    expect(results.get_by_role("link", name="Northwind")).to_be_visible()
    expect(results.get_by_role("link", name="Tailspin")).to_be_visible()
    expect(results.get_by_role("link", name="Woodgrove")).to_have_count(0)  # SMTP AUTH is off for its organisation
    screenshot(page, "search-smtp-auth")

    worker = start_worker()
    page.get_by_role("button", name="Re-verify now").click()
    page.wait_for_load_state()
    screenshot(page, "search-reverify-clicked")
    progress = page.locator("#reverify-progress")
    expect(progress).to_be_visible()
    expect(progress.get_by_role("heading")).to_contain_text("Re-verified", timeout=120_000)  # polled by htmx
    expect(progress).to_contain_text("2 of 2 tenants")
    expect(progress.get_by_role("link", name="Northwind")).to_be_visible()
    expect(progress.get_by_role("link", name="Tailspin")).to_be_visible()
    expect(progress.locator(".status-fail")).to_have_count(2)  # still on at both tenants
    screenshot(page, "search-reverified")
    assert worker.process.poll() is None
