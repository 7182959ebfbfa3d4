"""The audit page: who may read it, what each sees, the filters, and token events on record."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.portal.services.support import make_customer, make_msp
from tests.portal.web.support import sign_in
from tests.support.people import add_person


@pytest.fixture
def world(owner_engine: Engine, scope_key: bytes) -> dict[str, object]:
    msp, other = make_msp(owner_engine), make_msp(owner_engine)
    mine, neighbour = make_customer(owner_engine, msp, name="Contoso").customer_id, \
        make_customer(owner_engine, msp, name="Neighbour").customer_id
    people = {
        "admin": add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)])[1],
        "analyst": add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ANALYST)])[1],
        "customer_admin": add_person(owner_engine, scope_key, [
            MembershipView(msp_id=msp, role=Role.CUSTOMER_ADMIN, customer_id=mine)])[1],
        "neighbour_admin": add_person(owner_engine, scope_key, [
            MembershipView(msp_id=msp, role=Role.CUSTOMER_ADMIN, customer_id=neighbour)])[1],
        "outsider": add_person(owner_engine, scope_key, [MembershipView(msp_id=other, role=Role.MSP_ADMIN)])[1],
    }
    return {"msp": msp, "mine": mine, **people}


@pytest.fixture
def client(web_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as test_client:
        yield test_client


def test_each_reader_sees_the_trail_of_what_they_may_see(client: TestClient, world) -> None:
    for who in ("admin", "customer_admin", "neighbour_admin", "outsider", "analyst"):
        sign_in(client, world[who])  # every sign-in is itself on record

    sign_in(client, world["admin"])
    msp_wide = client.get("/audit").text
    assert world["customer_admin"] in msp_wide and world["neighbour_admin"] in msp_wide
    assert world["outsider"] not in msp_wide  # another MSP

    sign_in(client, world["customer_admin"])
    own = client.get("/audit").text
    assert world["customer_admin"] in own
    assert world["neighbour_admin"] not in own and world["admin"] not in own  # the MSP's own rows stay out

    sign_in(client, world["analyst"])
    assert client.get("/audit").status_code == 403


def test_the_filters_narrow_the_trail(client: TestClient, world) -> None:
    sign_in(client, world["customer_admin"])
    sign_in(client, world["admin"])
    by_actor = client.get("/audit", params={"actor": world["customer_admin"].upper()}).text
    assert world["customer_admin"] in by_actor and f"<td>{world['admin']}</td>" not in by_actor
    assert "Nothing matches" in client.get("/audit", params={"action": "nothing."}).text
    assert "Nothing matches" in client.get("/audit", params={"until": "2001-01-01"}).text
    assert client.get("/audit", params={"since": "not a date", "page": "x"}).status_code == 200


def test_making_and_revoking_a_token_is_on_record(client: TestClient, world) -> None:
    sign_in(client, world["admin"])
    page = client.get("/account/tokens").text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    made = client.post("/account/tokens", data={"name": "PSA", "days": "7", "access": "read", "_csrf_token": csrf})
    token_id = re.search(r'action="/account/tokens/([0-9a-f-]{36})/revoke"', made.text).group(1)
    client.post(f"/account/tokens/{token_id}/revoke", data={"_csrf_token": csrf})
    trail = client.get("/audit", params={"action": "api_token."}).text
    assert "api_token.created" in trail and "api_token.revoked" in trail and f"token:{token_id}" in trail


def test_a_failed_sign_in_of_a_known_account_is_on_record_where_it_belongs(client: TestClient, world,
                                                                            owner_engine: Engine) -> None:
    client.cookies.clear()
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
    for email in (world["customer_admin"], "nobody-at-all@example.test"):
        refused = client.post("/sign-in", data={"email": email, "password": "not it", "_csrf_token": token})
        assert refused.status_code == 400

    sign_in(client, world["customer_admin"])
    own = client.get("/audit", params={"action": "account.sign_in_failed"}).text
    assert world["customer_admin"] in own and "password" in own  # by the email tried, at the password step
    sign_in(client, world["neighbour_admin"])
    assert world["customer_admin"] not in client.get("/audit", params={"action": "account.sign_in_failed"}).text
    with owner_engine.connect() as connection:  # an unknown email belongs to no trail
        unknown = connection.execute(text("SELECT count(*) FROM audit_events WHERE actor = :e"),
                                     {"e": "nobody-at-all@example.test"}).scalar()
    assert unknown == 0
