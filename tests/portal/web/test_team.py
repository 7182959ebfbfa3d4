"""Changing and removing members: who may, the last admin, and what a removal ends."""

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


@pytest.fixture
def world(owner_engine: Engine, scope_key: bytes) -> dict[str, object]:
    msp, other = make_msp(owner_engine), make_msp(owner_engine)
    mine, neighbour = make_customer(owner_engine, msp, name="Contoso").customer_id, \
        make_customer(owner_engine, msp, name="Neighbour").customer_id
    analyst = MembershipView(msp_id=msp, role=Role.MSP_ANALYST)
    return {
        "msp": msp, "analyst_membership": analyst,
        "admin": add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)]),
        "analyst": add_person(owner_engine, scope_key, [analyst]),
        "customer_admin": add_person(owner_engine, scope_key, [
            MembershipView(msp_id=msp, role=Role.CUSTOMER_ADMIN, customer_id=mine)]),
        "viewer": add_person(owner_engine, scope_key, [
            MembershipView(msp_id=msp, role=Role.CUSTOMER_VIEWER, customer_id=mine)]),
        "neighbour_viewer": add_person(owner_engine, scope_key, [
            MembershipView(msp_id=msp, role=Role.CUSTOMER_VIEWER, customer_id=neighbour)]),
        "outsider": add_person(owner_engine, scope_key, [MembershipView(msp_id=other, role=Role.MSP_ADMIN)]),
    }


@pytest.fixture
def client(web_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as test_client:
        yield test_client


def _membership(owner_engine: Engine, user_id) -> str:
    with owner_engine.connect() as connection:
        return str(connection.execute(text("SELECT id FROM memberships WHERE user_id = :u"), {"u": user_id}).scalar())


def _role(owner_engine: Engine, user_id) -> str:
    with owner_engine.connect() as connection:
        return connection.execute(text("SELECT role::text FROM memberships WHERE user_id = :u"),
                                  {"u": user_id}).scalar()


def test_an_msp_admin_changes_a_role_and_the_trail_says_so(client: TestClient, world, owner_engine: Engine) -> None:
    csrf = sign_in(client, world["admin"][1])
    target = _membership(owner_engine, world["analyst"][0])
    response = client.post(f"/team/members/{target}", data={"role": "msp_admin", "_csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303
    assert _role(owner_engine, world["analyst"][0]) == "msp_admin"
    assert "member.role_changed" in client.get("/audit", params={"action": "member."}).text


@pytest.mark.parametrize(("who", "target", "role"), [
    ("analyst", "viewer", "customer_admin"),  # analysts manage no members
    ("viewer", "viewer", "customer_admin"),  # nor do viewers, not even themselves
    ("customer_admin", "neighbour_viewer", "customer_admin"),  # another customer's
    ("customer_admin", "analyst", "msp_admin"),  # MSP staff
    ("outsider", "viewer", "customer_admin"),  # another MSP
])
def test_who_may_not_change_whom(who: str, target: str, role: str, client: TestClient, world,
                                 owner_engine: Engine) -> None:
    csrf = sign_in(client, world[who][1])
    before = _role(owner_engine, world[target][0])
    response = client.post(f"/team/members/{_membership(owner_engine, world[target][0])}",
                           data={"role": role, "_csrf_token": csrf})
    assert response.status_code == 403
    assert _role(owner_engine, world[target][0]) == before


def test_a_customer_admin_manages_their_own_tenants_users(client: TestClient, world, owner_engine: Engine) -> None:
    csrf = sign_in(client, world["customer_admin"][1])
    target = _membership(owner_engine, world["viewer"][0])
    assert client.post(f"/team/members/{target}", data={"role": "customer_admin", "_csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    refused = client.post(f"/team/members/{target}", data={"role": "msp_admin", "_csrf_token": csrf})
    assert refused.status_code == 403  # a customer membership stays a customer one


def test_the_last_admin_stays(client: TestClient, world, owner_engine: Engine) -> None:
    csrf = sign_in(client, world["admin"][1])
    own = _membership(owner_engine, world["admin"][0])
    for action, data in ((f"/team/members/{own}", {"role": "msp_analyst"}), (f"/team/members/{own}/remove", {})):
        response = client.post(action, data={**data, "_csrf_token": csrf})
        assert response.status_code == 403 and "at least one admin" in response.text
    assert _role(owner_engine, world["admin"][0]) == "msp_admin"


def test_a_removed_member_loses_the_organisation_and_its_tokens(client: TestClient, world, owner_engine: Engine,
                                                              web_engine: Engine) -> None:
    user_id, email = world["analyst"]
    _, token = token_for(web_engine, user_id, email, world["analyst_membership"])
    csrf = sign_in(client, world["admin"][1])
    client.post(f"/team/members/{_membership(owner_engine, user_id)}/remove", data={"_csrf_token": csrf})
    assert _role(owner_engine, user_id) is None
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 401
