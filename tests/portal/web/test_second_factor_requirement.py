"""An MSP's requirement of a second factor holds on every page and for every token of its staff,
until they set one up; the pages that set it up, and the password page, stay open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.portal.services.support import make_customer, make_msp
from tests.portal.web.support import sign_in, token_for
from tests.support.people import add_person

REQUIRED = "/account/two-factor?required=1"


@pytest.fixture
def client(web_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as test_client:
        yield test_client


def test_staff_without_a_second_factor_reach_only_its_set_up(client: TestClient, owner_engine: Engine,
                                                             web_engine: Engine, scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    customer = make_customer(owner_engine, msp).customer_id
    admin_membership = MembershipView(msp_id=msp, role=Role.MSP_ADMIN)
    admin_id, admin = add_person(owner_engine, scope_key, [admin_membership])
    _, customer_admin = add_person(owner_engine, scope_key, [
        MembershipView(msp_id=msp, role=Role.CUSTOMER_ADMIN, customer_id=customer)])
    _, token = token_for(web_engine, admin_id, admin, admin_membership)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/customers", headers=bearer).status_code == 200
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE msps SET require_totp_for_staff = true WHERE id = :m"), {"m": msp})

    sign_in(client, admin)
    for page in ("/", "/team", "/audit", "/account/tokens"):
        response = client.get(page, follow_redirects=False)
        assert (response.status_code, response.headers.get("location")) == (303, REQUIRED), page
    for page in ("/account/two-factor", "/account/password"):
        assert client.get(page, follow_redirects=False).status_code == 200, page
    # A token made before the requirement stops with it, so the API is no way around it.
    client.cookies.clear()
    assert client.get("/api/v1/customers", headers=bearer).status_code == 401

    sign_in(client, customer_admin)  # the requirement is the MSP's of its staff, not of its customers' people
    assert client.get("/team", follow_redirects=False).status_code == 200


def test_a_token_opens_no_page(client: TestClient, owner_engine: Engine, web_engine: Engine,
                               scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    membership = MembershipView(msp_id=msp, role=Role.MSP_ADMIN)
    user_id, email = add_person(owner_engine, scope_key, [membership])
    _, token = token_for(web_engine, user_id, email, membership)
    response = client.get("/team", headers={"Authorization": f"Bearer {token}"}, follow_redirects=False)
    assert (response.status_code, response.headers.get("location")) == (303, "/sign-in")
