"""Signing in, switching organisation and signing out in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from portal.db.models import Role
from portal.services.accounts import MembershipView
from tests.browser.conftest import screenshot
from tests.portal.services.support import make_customer, make_msp
from tests.support.people import PASSWORD, add_person


def _account(owner_engine: Engine, scope_key: bytes) -> str:
    first, second = make_msp(owner_engine), make_msp(owner_engine)
    customer = make_customer(owner_engine, second, name="Fabrikam").customer_id
    _, email = add_person(owner_engine, scope_key, [
        MembershipView(msp_id=first, role=Role.MSP_ANALYST),
        MembershipView(msp_id=second, role=Role.CUSTOMER_VIEWER, customer_id=customer)], name="Cara Analyst")
    return email


def test_sign_in_switch_organisation_and_sign_out(page: Page, portal: str, owner_engine: Engine,
                                                  scope_key: bytes) -> None:
    email = _account(owner_engine, scope_key)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(portal)
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    screenshot(page, "sign-in-refused")
    errors.clear()  # the browser logs the refused sign-in's 400 as a failed load: expected

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fleet")
    expect(page.get_by_text("Cara Analyst")).to_be_visible()
    screenshot(page, "home-msp")

    page.get_by_label("Organisation").select_option(label="Fabrikam (Test MSP)")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam")  # their tenant's page
    expect(page.get_by_role("link", name="Fleet")).to_have_count(0)  # no fleet for a customer viewer
    screenshot(page, "home-customer")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.goto(portal)
    expect(page).to_have_url(re.compile(r"/sign-in$"))  # the session is gone, not just the page
    assert errors == []  # no CSP violation or script error in the console
