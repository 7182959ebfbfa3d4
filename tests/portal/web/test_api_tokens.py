"""``/api/v1`` with personal API tokens: who sees which customers, and when a token stops working."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView, list_tokens, revoke_token
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.portal.services.support import make_customer, make_msp
from tests.portal.web.support import token_for
from tests.support.database import set_scope
from tests.support.people import add_person


@pytest.fixture
def world(owner_engine: Engine) -> dict[str, uuid.UUID]:
    """Two MSPs; the first has a gold-tagged customer and an untagged one, the second one customer."""
    msp, other = make_msp(owner_engine), make_msp(owner_engine)
    gold = make_customer(owner_engine, msp, name="Gold Co").customer_id
    plain = make_customer(owner_engine, msp, name="Plain Co").customer_id
    foreign = make_customer(owner_engine, other, name="Foreign Co").customer_id
    with owner_engine.begin() as connection:
        set_scope(connection, msp)
        connection.execute(text("UPDATE customers SET tags = '{gold}' WHERE id = :c"), {"c": gold})
    return {"msp": msp, "other": other, "gold": gold, "plain": plain, "foreign": foreign}


@pytest.fixture
def client(web_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as test_client:
        yield test_client


def _names(client: TestClient, token: str) -> set[str]:
    response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return {c["name"] for c in response.json()["customers"]}


@pytest.mark.parametrize(("role", "tags", "customer", "expected"), [
    (Role.MSP_ADMIN, (), None, {"Gold Co", "Plain Co"}),
    (Role.MSP_ANALYST, (), None, {"Gold Co", "Plain Co"}),
    (Role.MSP_ANALYST, ("gold",), None, {"Gold Co"}),
    (Role.CUSTOMER_ADMIN, (), "plain", {"Plain Co"}),
    (Role.CUSTOMER_VIEWER, (), "gold", {"Gold Co"}),
])
def test_a_token_sees_exactly_what_its_membership_may(role: Role, tags: tuple[str, ...], customer: str | None,
                                                      expected: set[str], client: TestClient, owner_engine: Engine,
                                                      web_engine: Engine, scope_key: bytes, world) -> None:
    membership = MembershipView(msp_id=world["msp"], role=role, customer_id=world[customer] if customer else None,
                                tags=frozenset(tags))
    user_id, email = add_person(owner_engine, scope_key, [membership])
    _, token = token_for(web_engine, user_id, email, membership)

    assert _names(client, token) == expected  # never "Foreign Co"


def test_the_list_has_the_contracts_fields_and_pages(client: TestClient, owner_engine: Engine, web_engine: Engine,
                                                    scope_key: bytes, world) -> None:
    membership = MembershipView(msp_id=world["msp"], role=Role.MSP_ADMIN)
    user_id, email = add_person(owner_engine, scope_key, [membership])
    _, token = token_for(web_engine, user_id, email, membership)
    body = client.get("/api/v1/customers?page=1", headers={"Authorization": f"Bearer {token}"}).json()
    assert (body["page"], body["pages"], body["total"]) == (1, 1, 2)
    assert {"id", "name", "tenant_id", "connection_state", "score"} <= set(body["customers"][0])
    empty = client.get("/api/v1/customers?page=2", headers={"Authorization": f"Bearer {token}"}).json()
    assert empty["customers"] == []


@pytest.mark.parametrize("header", [None, "Bearer pst_not-a-token", "Bearer", "Basic dXNlcjpwYXNz",
                                    "Bearer " + "pst_" + "A" * 43])
def test_no_valid_token_is_401_with_a_challenge(header: str | None, client: TestClient) -> None:
    response = client.get("/api/v1/customers", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_token_stops_at_revocation_expiry_and_when_its_membership_goes(client: TestClient, owner_engine: Engine,
                                                                        web_engine: Engine, scope_key: bytes,
                                                                        world) -> None:
    membership = MembershipView(msp_id=world["msp"], role=Role.MSP_ANALYST)
    user_id, email = add_person(owner_engine, scope_key, [membership])
    scope = Scope(msp_id=world["msp"], actor=email, user_id=user_id)
    revoked_id, revoked = token_for(web_engine, user_id, email, membership)
    _, expiring = token_for(web_engine, user_id, email, membership)
    _, orphaned = token_for(web_engine, user_id, email, membership)
    for token in (revoked, expiring, orphaned):
        assert _names(client, token)

    with unit_of_work(web_engine, scope) as uow:
        assert revoke_token(uow, revoked_id)
        listed = list_tokens(uow)
    assert {t.id for t in listed if t.revoked_at} == {revoked_id}
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE api_tokens SET expires_at = now() - interval '1 second' "
                                "WHERE token_hash = sha256(convert_to(:t, 'UTF8'))"), {"t": expiring})
    for token in (revoked, expiring):
        assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    with owner_engine.begin() as connection:  # removed from the team
        set_scope(connection, world["msp"])
        connection.execute(text("DELETE FROM memberships WHERE user_id = :u"), {"u": user_id})
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {orphaned}"}).status_code == 401


def test_every_use_of_a_token_is_audited_as_its_user(client: TestClient, owner_engine: Engine, web_engine: Engine,
                                                     scope_key: bytes, world) -> None:
    membership = MembershipView(msp_id=world["msp"], role=Role.MSP_ADMIN)
    user_id, email = add_person(owner_engine, scope_key, [membership])
    token_id, token = token_for(web_engine, user_id, email, membership)
    for _ in range(2):
        _names(client, token)
    with owner_engine.connect() as connection:
        rows = connection.execute(text("SELECT actor, details->>'path' FROM audit_events "
                                       "WHERE action = 'api.token_used' AND target = :t"),
                                  {"t": f"token:{token_id}"}).all()
    assert [tuple(r) for r in rows] == [(email, "/api/v1/customers")] * 2


def test_nobody_makes_a_token_for_someone_else_or_an_organisation_they_are_not_in(
        web_engine: Engine, owner_engine: Engine, scope_key: bytes, world) -> None:
    from sqlalchemy.exc import DBAPIError

    mine = MembershipView(msp_id=world["msp"], role=Role.CUSTOMER_VIEWER, customer_id=world["plain"])
    user_id, email = add_person(owner_engine, scope_key, [mine])
    victim_id, _ = add_person(owner_engine, scope_key, [MembershipView(msp_id=world["msp"], role=Role.MSP_ADMIN)])
    # As the victim, without being signed in as them (the scope's user is the attacker's), or elsewhere:
    attempts = [
        (Scope(msp_id=world["msp"], actor=email, user_id=user_id), None),  # the MSP-wide role they lack
        (Scope(msp_id=world["msp"], actor=email, user_id=user_id), world["gold"]),  # another customer
        (Scope(msp_id=world["other"], actor=email, user_id=user_id), world["foreign"]),  # another MSP
        (Scope(msp_id=world["msp"], actor=email, user_id=None), None),  # nobody signed in
    ]
    from portal.services.accounts import create_token

    for scope, customer in attempts:
        with pytest.raises(DBAPIError), unit_of_work(web_engine, scope) as uow:
            create_token(uow, name="x", read_write=True, days=1, customer_id=customer)
    with owner_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM api_tokens WHERE user_id = ANY(:u)"),
                                  {"u": [user_id, victim_id]}).scalar() == 0


def test_a_password_change_ends_the_users_tokens(client: TestClient, owner_engine: Engine, web_engine: Engine,
                                                 scope_key: bytes, world) -> None:
    from portal.services.accounts import change_password
    from tests.support.people import PASSWORD

    membership = MembershipView(msp_id=world["msp"], role=Role.MSP_ADMIN)
    user_id, email = add_person(owner_engine, scope_key, [membership])
    _, token = token_for(web_engine, user_id, email, membership, read_write=True)
    assert _names(client, token)
    with unit_of_work(web_engine, Scope(msp_id=world["msp"], actor=email, user_id=user_id)) as uow:
        change_password(uow, web_engine, email=email, current=PASSWORD, new="a brand new long passphrase")
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_nul_in_the_search_or_tag_is_ignored_not_a_server_error(
        client: TestClient, owner_engine: Engine, web_engine: Engine, scope_key: bytes, world) -> None:
    # Found by the schema fuzzer: PostgreSQL refuses NUL in text, and the query answered 500.
    membership = MembershipView(msp_id=world["msp"], role=Role.MSP_ADMIN)
    user_id, email = add_person(owner_engine, scope_key, [membership])
    _, token = token_for(web_engine, user_id, email, membership)
    headers = {"Authorization": f"Bearer {token}"}
    everyone = client.get("/api/v1/customers", headers=headers).json()["total"]
    reply = client.get("/api/v1/customers?q=%00", headers=headers)
    assert (reply.status_code, reply.json()["total"]) == (200, everyone)
    tagged = client.get("/api/v1/customers?tag=%00no-such-tag", headers=headers)
    assert (tagged.status_code, tagged.json()["total"]) == (200, 0)
