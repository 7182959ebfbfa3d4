"""Setting up a second factor and signing in with it, in a real browser; the MSP's requirement."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from portal.db.models import Role
from portal.services.accounts import MembershipView
from tests.browser.conftest import screenshot
from tests.portal.services.support import make_msp
from tests.support.people import PASSWORD, add_person


def _sign_in(page: Page, portal: str, email: str) -> None:
    page.goto(f"{portal}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_msp_that_requires_it_gets_its_staff_to_set_it_up_and_then_asks_for_codes(
        page: Page, portal: str, owner_engine: Engine, scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    _, admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)], name="Ada")
    _, analyst = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ANALYST)], name="Al")

    _sign_in(page, portal, admin)
    page.goto(f"{portal}/account/two-factor")
    page.get_by_label("Require a second factor of every MSP staff member").check()
    page.get_by_role("button", name="Save").click()
    screenshot(page, "two-factor-admin")
    page.get_by_role("link", name="Fleet").click()
    expect(page).to_have_url(re.compile(r"/account/two-factor\?required=1$"))  # the admin too, now
    page.context.clear_cookies()

    _sign_in(page, portal, analyst)
    expect(page.get_by_role("status")).to_contain_text("Your MSP requires a second factor")
    page.get_by_role("button", name="Set up a second factor").click()
    expect(page.locator("figure.qr svg")).to_be_visible()  # the QR image, drawn inline
    screenshot(page, "two-factor-set-up")
    secret = page.locator("code.token").first.inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn it on").click()
    expect(page.locator("ul.codes li")).to_have_count(10)
    screenshot(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fleet")
    page.context.clear_cookies()

    _sign_in(page, portal, analyst)
    expect(page).to_have_url(re.compile(r"/sign-in/second-factor$"))
    page.get_by_label(re.compile("Code from your authenticator app")).fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    screenshot(page, "two-factor-sign-in-refused")
    page.get_by_label(re.compile("Code from your authenticator app")).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    # The code just used at set-up was never recorded as spent; a fresh one works.
    expect(page.get_by_role("heading", level=1)).to_have_text("Fleet")
