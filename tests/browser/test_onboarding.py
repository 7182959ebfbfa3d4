"""Onboarding in a real browser: an MSP admin adds a customer, follows the consent link through the
simulator's consent page as the tenant's administrator, lands on the callback, and sees the first scan
(run by a real worker body against the simulator) on the fleet."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.services.onboarding import ConsentApp
from portal.services.scans import run_scan
from portal.web.runtime import WebRuntime
from scanner import required_permissions
from sim import FaultConfig, ServiceApp, SimServer, SimState
from sim.profiles import build_tenant
from tests.browser.conftest import free_port, screenshot, serving
from tests.portal.services.support import SimWorld, make_msp
from tests.support.people import PASSWORD, add_person


@pytest.fixture
def onboarding_portal(tmp_path: Path, web_engine: Engine, app_engine: Engine) -> Iterator[tuple[str, SimWorld, list]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app, private_pem = ServiceApp.with_certificate(redirect_uris=[f"{base}/onboarding/callback"],
                                                   required_permissions=required_permissions())
    (tmp_path / "client.pem").write_text(private_pem)
    state = SimState(app=app, faults=FaultConfig())
    scans: list[threading.Thread] = []
    with SimServer(state, ca_dir=tmp_path / "ca") as server:
        world = SimWorld(server, state, tmp_path / "client.pem", app.client_id)
        env = world.scanner_environment()

        def worker(*, scan_id: uuid.UUID, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None:
            # What the scan_tenant actor does with the message, in a thread of this process.
            thread = threading.Thread(target=run_scan, args=(app_engine, scan_id, msp_id, customer_id),
                                      kwargs={"scanner_env": env})
            thread.start()
            scans.append(thread)

        consent = ConsentApp(authority_host=server.authority_host, client_id=app.client_id,
                             redirect_uri=f"{base}/onboarding/callback", graph_url=server.graph_url,
                             required_permissions=tuple(required_permissions()))
        runtime = WebRuntime(engine=web_engine, scan_queue=worker, consent=consent, scanner_env=env)
        with serving(runtime, port) as url:
            yield url, world, scans
        for thread in scans:
            thread.join(timeout=60)


def test_an_msp_admin_onboards_a_tenant_through_the_consent_page(page: Page, onboarding_portal, owner_engine: Engine,
                                                                 scope_key: bytes) -> None:
    portal, world, scans = onboarding_portal
    tenant_id = str(uuid.uuid4())
    tenant = build_tenant("typical", tenant_id=tenant_id, display_name=f"Adatum {tenant_id[:6]}")
    tenant.consent, tenant.granted_permissions = "pending", set()
    world.state.add_tenant(tenant)
    msp = make_msp(owner_engine)
    _, admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)], name="Ada Admin")

    page.goto(f"{portal}/sign-in")
    page.get_by_label("Email").fill(admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Add customer").click()
    page.get_by_label("Name").fill("Adatum")
    page.get_by_label("Domain or tenant id").fill(tenant.default_domain)
    page.get_by_label("Tags").fill("East, premium")
    page.get_by_role("button", name="Add the customer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adatum")
    expect(page.get_by_role("status").first).to_contain_text("Waiting for consent")
    page.get_by_role("button", name="Make a consent link").click()
    link = page.locator("#consent-link code.token").inner_text()
    assert link.startswith(f"{world.server.authority_host}/{tenant.default_domain}/v2.0/adminconsent?")
    screenshot(page, "onboarding-consent-link")

    page.goto(link)  # as the tenant's Global Administrator, on Microsoft's (the simulator's) consent page
    expect(page.get_by_role("heading", level=1)).to_have_text("Permissions requested")
    screenshot(page, "onboarding-microsoft-consent")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Connected")
    expect(page.get_by_role("status")).to_contain_text("Adatum is connected")
    screenshot(page, "onboarding-connected")

    for thread in scans:
        thread.join(timeout=60)
    page.goto(f"{portal}/fleet")
    row = page.locator("table.fleet tbody tr", has_text="Adatum")
    expect(row.locator(".pill.state-connected")).to_be_visible()
    expect(row).to_contain_text("east")
    expect(row.locator(".score")).not_to_have_class("score score-none")  # the first scan landed
    screenshot(page, "onboarding-fleet")
    row.get_by_role("link", name="Adatum").click()
    expect(page.locator("table tbody tr").first).to_be_visible()
    assert "Make a consent link" not in page.content()  # connected: no link to make
    # The typical tenant fails some checks: the first failing one, from the scan the consent started.
    page.get_by_label("Status").select_option("fail")
    page.get_by_role("button", name="Apply").click()
    finding = page.locator("table tbody tr td a").first
    title = finding.inner_text()
    finding.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("heading", name="How to fix it")).to_be_visible()
    screenshot(page, "onboarding-first-finding")
