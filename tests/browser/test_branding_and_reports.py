"""Branding and the executive report in Chromium: an MSP admin brands the MSP's outputs with a live
preview and a logo, makes a customer's report from its page, and downloads the PDF a worker rendered."""

from __future__ import annotations

import subprocess
import threading
import uuid

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.services.reports import render_stored_report
from portal.web.runtime import WebRuntime
from tests.browser.conftest import SCREENSHOTS, free_port, screenshot, serving
from tests.browser.test_fleet import _history, _sign_in
from tests.portal.services.support import make_customer, make_msp
from tests.support.people import add_person

LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 48"><rect width="48" height="48" rx="8" '
        'fill="#0b6e4f"/><text x="58" y="32" font-size="22" fill="#0b6e4f" font-family="sans-serif">NORTHWIND'
        '</text><script>alert(1)</script></svg>')


def test_an_admin_brands_the_outputs_and_downloads_a_customers_report(page: Page, owner_engine: Engine,
                                                                      web_engine: Engine, app_engine: Engine,
                                                                      scope_key: bytes, tmp_path) -> None:
    msp = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp, name="Contoso Pharma")
    _history(app_engine, owner_engine, contoso, [0.4, 0.35, 0.3])
    _, admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)], name="Ada Min")
    rendered: list[str] = []

    def worker(*, msp_id: uuid.UUID, customer_id: uuid.UUID | None, report_id: uuid.UUID) -> None:
        # As a worker would, once the request has committed: in a thread of its own.
        def run() -> None:
            rendered.append(render_stored_report(app_engine, report_id, msp_id, customer_id))
        threading.Thread(target=run).start()

    with serving(WebRuntime(engine=web_engine, report_queue=worker), free_port()) as portal:
        _sign_in(page, portal, admin)
        page.get_by_role("link", name="Branding", exact=True).click()
        page.get_by_label("Display name").fill("Northwind IT")
        page.get_by_label("Brand colour").fill("#ffcc00")
        page.get_by_label("Contact line").fill("Service desk 0800 123 456 · help@northwind.example")
        preview = page.locator("#brand-preview")
        expect(preview).to_contain_text("Northwind IT")
        expect(preview.locator("rect").nth(1)).to_have_attribute("fill", "#ffcc00")
        expect(preview.locator("table.contrast")).to_contain_text("AA")
        logo = tmp_path / "logo.svg"
        logo.write_text(LOGO)
        page.get_by_label("Logo").set_input_files(str(logo))
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("Saved")
        expect(page.locator("#brand-preview image")).to_have_count(1)
        screenshot(page, "branding")
        page.locator("#brand-preview").screenshot(path=str(SCREENSHOTS / "branding-preview.png"))

        page.goto(f"{portal}/customers/{contoso.customer_id}")
        reports = page.locator("#reports")
        reports.get_by_label("A note for the customer's leadership").fill("Three fixes this month; MFA next.")
        reports.get_by_role("button", name="Make the executive report of the latest scan").click()
        expect(page.locator("#reports")).to_contain_text("ready", timeout=30_000)  # the card polls until then
        assert rendered == ["ready"]
        page.locator("#reports").screenshot(path=str(SCREENSHOTS / "customer-reports-card.png"))
        with page.expect_download() as download:
            page.locator("#reports").get_by_role("link", name="Download PDF").click()
        pdf = tmp_path / download.value.suggested_filename
        download.value.save_as(pdf)
    assert download.value.suggested_filename.startswith("executive-report-") and pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Contoso Pharma" in text and "Northwind IT" in text and "Three fixes this month; MFA next." in text
    assert "Service desk 0800 123 456" in text
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-l", "3", str(pdf), str(SCREENSHOTS / "report-from-portal")],
                   check=True)
