"""Onboarding by admin consent, against the simulator over real HTTP: the link, Microsoft's consent page,
the callback, and every way it can go wrong (declined, replayed, expired, another tenant than expected,
a tenant owned elsewhere, missing permissions, a missing Exchange role, consent still spreading)."""

from __future__ import annotations

import datetime as dt
import html
import re
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.errors import InvalidInput
from portal.services.onboarding import ConsentApp, add_customer, complete_consent, consent_link
from scanner import required_permissions
from sim import FaultConfig, ServiceApp, SimServer, SimState
from sim.profiles import build_tenant
from tests.portal.services.support import SimWorld, make_customer, make_msp
from tests.support.database import set_scope
from tests.support.people import add_person

REDIRECT = "https://portal.msp.example/onboarding/callback"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimWorld]:
    folder: Path = tmp_path_factory.mktemp("sim-consent")
    app, private_pem = ServiceApp.with_certificate(redirect_uris=[REDIRECT],
                                                   required_permissions=required_permissions())
    pem_path = folder / "client.pem"
    pem_path.write_text(private_pem)
    state = SimState(app=app, faults=FaultConfig())
    with SimServer(state, ca_dir=folder / "ca") as server:
        yield SimWorld(server, state, pem_path, app.client_id)


@pytest.fixture
def app(world: SimWorld) -> ConsentApp:
    return ConsentApp(authority_host=world.server.authority_host, client_id=world.client_id, redirect_uri=REDIRECT,
                      graph_url=world.server.graph_url, required_permissions=tuple(required_permissions()))


@pytest.fixture
def msp(owner_engine: Engine, scope_key: bytes) -> tuple[uuid.UUID, Scope, MembershipView]:
    msp_id = make_msp(owner_engine)
    admin = MembershipView(msp_id=msp_id, role=Role.MSP_ADMIN)
    user_id, email = add_person(owner_engine, scope_key, [admin])
    return msp_id, Scope(msp_id=msp_id, actor=email, user_id=user_id), admin


def _tenant(world: SimWorld) -> str:
    """A tenant that has not consented yet, with a unique domain."""
    tenant_id = str(uuid.uuid4())
    tenant = build_tenant("typical", tenant_id=tenant_id, display_name=f"Tenant {tenant_id[:8]}")  # its own domains
    tenant.consent, tenant.granted_permissions = "pending", set()
    world.state.add_tenant(tenant)
    return tenant_id


def _customer_with_link(web_engine: Engine, msp, app: ConsentApp, *, domain: str = "",
                        now: dt.datetime | None = None) -> tuple[uuid.UUID, str]:
    _, scope, admin = msp
    with unit_of_work(web_engine, scope) as uow:
        customer_id = add_customer(uow, admin, name=f"Customer {uuid.uuid4().hex[:6]}", domain=domain)
    with unit_of_work(web_engine, scope) as uow:
        link = consent_link(uow, web_engine, admin, customer_id, app, now=now)
    return customer_id, link


def _decide(world: SimWorld, link: str, tenant_id: str, decision: str = "accept") -> dict[str, str]:
    """What Microsoft's consent page sends back: open the link, pick the tenant, accept or cancel."""
    with httpx.Client(verify=ssl.create_default_context(cafile=str(world.server.ca_cert_path))) as http:
        page = http.get(link)
        assert page.status_code == 200, page.text
        form = {name: html.unescape(value) for name, value in
                re.findall(r'<input type=hidden name="(\w+)" value="([^"]*)">', page.text)}
        answer = http.post(link.split("?")[0], data={**form, "tenant": tenant_id, "decision": decision})
    assert answer.status_code == 302 and answer.headers["location"].startswith(REDIRECT)
    return dict(parse_qsl(urlsplit(answer.headers["location"]).query))


def _complete(web_engine: Engine, world: SimWorld, app: ConsentApp, params: dict[str, str], sent: list | None = None):
    def queue(**message: object) -> None:
        if sent is not None:
            sent.append(message)
    return complete_consent(web_engine, params, env=world.scanner_environment(), app=app, queue=queue,
                            retry_delays_s=())


def _customer(owner_engine: Engine, customer_id: uuid.UUID):
    with owner_engine.connect() as connection:
        return connection.execute(text("SELECT tenant_id, connection_state::text AS state, missing_permissions "
                                       "FROM customers WHERE id = :c"), {"c": customer_id}).one()


def _actions(owner_engine: Engine, customer_id: uuid.UUID) -> list[str]:
    with owner_engine.connect() as connection:
        return list(connection.execute(text("SELECT action FROM audit_events WHERE customer_id = :c ORDER BY id"),
                                       {"c": customer_id}).scalars())


def test_an_accepted_consent_connects_the_customer_and_queues_its_first_scan(
        world, app, msp, web_engine: Engine, owner_engine: Engine) -> None:
    tenant_id = _tenant(world)
    customer_id, link = _customer_with_link(web_engine, msp, app)
    assert link.startswith(f"{world.server.authority_host}/organizations/v2.0/adminconsent?")
    assert f"scope={world.server.graph_url.replace(':', '%3A').replace('/', '%2F')}%2F.default" in link
    sent: list = []
    result = _complete(web_engine, world, app, _decide(world, link, tenant_id), sent)
    assert (result.kind, result.missing) == ("connected", ())
    row = _customer(owner_engine, customer_id)
    assert (row.tenant_id, row.state) == (tenant_id, "connected")
    assert [m["customer_id"] for m in sent] == [customer_id]
    assert _actions(owner_engine, customer_id)[-3:] == ["consent.link_made", "customer.connected", "scan.requested"]


def test_a_link_for_a_domain_asks_that_tenant_and_connects_it(world, app, msp, web_engine: Engine,
                                                               owner_engine: Engine) -> None:
    tenant_id = _tenant(world)
    domain = world.state.tenant(tenant_id).default_domain
    customer_id, link = _customer_with_link(web_engine, msp, app, domain=domain)
    assert f"/{domain}/v2.0/adminconsent?" in link
    assert _complete(web_engine, world, app, _decide(world, link, tenant_id)).kind == "connected"
    assert _customer(owner_engine, customer_id).tenant_id == tenant_id


def test_a_replayed_callback_finds_its_link_used(world, app, msp, web_engine: Engine) -> None:
    tenant_id = _tenant(world)
    _, link = _customer_with_link(web_engine, msp, app)
    params = _decide(world, link, tenant_id)
    assert _complete(web_engine, world, app, params).kind == "connected"
    again = _complete(web_engine, world, app, params)
    assert again.kind == "refused" and "used already" in again.message


def test_a_declined_consent_says_so_and_spends_the_link(world, app, msp, web_engine: Engine,
                                                       owner_engine: Engine) -> None:
    tenant_id = _tenant(world)
    customer_id, link = _customer_with_link(web_engine, msp, app)
    params = _decide(world, link, tenant_id, decision="cancel")
    assert params["error"] == "access_denied" and "tenant" not in params
    result = _complete(web_engine, world, app, params)
    assert (result.kind, result.code) == ("refused", 65004) and "declined" in result.message
    assert _customer(owner_engine, customer_id).state == "pending_consent"
    assert _complete(web_engine, world, app, params).message.startswith("This consent link was used")


@pytest.mark.parametrize(("description", "code", "words"), [
    ("AADSTS50020: User account 'tech@msp.example' from identity provider 'live.com' does not exist in tenant",
     50020, "not in the customer's tenant"),
    ("AADSTS90094: Admin consent is required", 90094, "cannot grant application permissions"),
    ("AADSTS50194: Application is not configured as a multi-tenant application", 50194, "multi-tenant"),
    ("AADSTS9999999: something new", 9999999, "did not grant consent"),
])
def test_each_aadsts_error_gets_its_own_advice(description: str, code: int, words: str, world, app, msp,
                                               web_engine: Engine) -> None:
    _, link = _customer_with_link(web_engine, msp, app)
    state = dict(parse_qsl(urlsplit(link).query))["state"]
    result = _complete(web_engine, world, app, {"error": "access_denied", "error_description": description,
                                                "admin_consent": "True", "state": state})
    assert (result.kind, result.code) == ("refused", code) and words in result.message
    assert "tech@msp.example" not in result.message  # nothing of the query string is echoed


def test_an_expired_or_unknown_link_connects_nothing(world, app, msp, web_engine: Engine, owner_engine: Engine) -> None:
    tenant_id = _tenant(world)
    customer_id, link = _customer_with_link(web_engine, msp, app, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=4))
    params = _decide(world, link, tenant_id)
    result = _complete(web_engine, world, app, params)
    assert result.kind == "refused" and "expired" in result.message
    assert _customer(owner_engine, customer_id).tenant_id is None
    unknown = _complete(web_engine, world, app, {**params, "state": "made-up"})
    assert unknown.kind == "refused" and "through a link made in the portal" in unknown.message
    assert _complete(web_engine, world, app, {}).kind == "refused"


def test_consent_from_another_tenant_than_expected_is_refused(world, app, msp, web_engine: Engine,
                                                              owner_engine: Engine) -> None:
    expected, other = _tenant(world), _tenant(world)
    customer_id, link = _customer_with_link(web_engine, msp, app,
                                            domain=world.state.tenant(expected).default_domain)
    assert f"/{world.state.tenant(expected).default_domain}/v2.0/adminconsent" in link
    world.state.grant_consent(other)
    state = dict(parse_qsl(urlsplit(link).query))["state"]
    result = _complete(web_engine, world, app, {"admin_consent": "True", "tenant": other, "state": state})
    assert result.kind == "refused" and "another tenant" in result.message
    assert _customer(owner_engine, customer_id).tenant_id is None


def test_a_tenant_owned_elsewhere_is_refused_without_saying_by_whom(world, app, msp, web_engine: Engine,
                                                                    owner_engine: Engine) -> None:
    tenant_id = _tenant(world)
    make_customer(owner_engine, make_msp(owner_engine), tenant_id=tenant_id, name="Rival's Secret Customer")
    customer_id, link = _customer_with_link(web_engine, msp, app)
    result = _complete(web_engine, world, app, _decide(world, link, tenant_id))
    assert result.kind == "refused" and "already connected" in result.message
    assert "Rival" not in result.message and "Test MSP" not in result.message
    assert _customer(owner_engine, customer_id).tenant_id is None
    assert _actions(owner_engine, customer_id)[-1] == "consent.refused"


def test_missing_permissions_and_exchange_role_connect_degraded(world, app, msp, web_engine: Engine,
                                                                owner_engine: Engine) -> None:
    tenant_id = _tenant(world)
    customer_id, link = _customer_with_link(web_engine, msp, app)
    state = dict(parse_qsl(urlsplit(link).query))["state"]
    world.state.grant_consent(tenant_id, set(required_permissions()) - {"Policy.Read.All", "User.Read.All"})
    world.state.set_exchange_role(tenant_id, False)
    result = _complete(web_engine, world, app, {"admin_consent": "True", "tenant": tenant_id, "state": state})
    assert result.kind == "degraded"
    assert result.missing == ("Policy.Read.All", "User.Read.All", "directory_role:Global Reader")
    row = _customer(owner_engine, customer_id)
    assert (row.state, row.missing_permissions) == ("degraded", list(result.missing))


def test_a_consent_still_spreading_keeps_the_link_open_until_it_lands(world, app, msp, web_engine: Engine,
                                                                      owner_engine: Engine) -> None:
    tenant_id = _tenant(world)
    customer_id, link = _customer_with_link(web_engine, msp, app)
    state = dict(parse_qsl(urlsplit(link).query))["state"]
    params = {"admin_consent": "True", "tenant": tenant_id, "state": state}
    first = _complete(web_engine, world, app, params)  # Microsoft has not applied it yet: AADSTS700016
    assert first.kind == "spreading" and "700016" in first.message
    world.state.grant_consent(tenant_id)
    assert _complete(web_engine, world, app, params).kind == "connected"
    assert _customer(owner_engine, customer_id).state == "connected"


def test_only_msp_admins_add_customers_and_nobody_binds_a_tenant_by_hand(msp, web_engine: Engine,
                                                                          owner_engine: Engine) -> None:
    msp_id, scope, _ = msp
    analyst = MembershipView(msp_id=msp_id, role=Role.MSP_ANALYST)
    with pytest.raises(Exception, match="only MSP admins"), unit_of_work(web_engine, scope) as uow:
        add_customer(uow, analyst, name="Sneaky")
    # The web role writes no tenant id, so an injected query cannot aim the workers at a tenant.
    with pytest.raises(DBAPIError, match="permission denied"), unit_of_work(web_engine, scope) as uow:
        uow.session.execute(text("INSERT INTO customers (id, customer_id, msp_id, name, tenant_id) "
                                 "VALUES (:i, :i, :m, 'x', :t)"),
                            {"i": uuid.uuid4(), "m": msp_id, "t": str(uuid.uuid4())})
    with pytest.raises(DBAPIError, match="bound by the portal"), unit_of_work(web_engine, scope) as uow:
        uow.session.execute(text("SELECT posture_bind_tenant(:r, :t, 'forged')"),
                            {"r": uuid.uuid4(), "t": str(uuid.uuid4())})
    with pytest.raises(DBAPIError, match="made by the portal"), unit_of_work(web_engine, scope) as uow:
        uow.session.execute(text("SELECT posture_create_onboarding(:c, :h, '', 9999999999, 'forged')"),
                            {"c": uuid.uuid4(), "h": b"x" * 32})


def test_only_msp_admins_and_manage_tier_staff_record_break_glass_even_by_injected_query(
        owner_engine: Engine, web_engine: Engine, scope_key: bytes) -> None:
    # Recording an account as break-glass makes its exclusions pass: a customer's own admin must not,
    # whatever query runs in their session (migration 0014; 0013 let the web role write the column).
    msp_id = make_msp(owner_engine)
    tenant = make_customer(owner_engine, msp_id, name="Tailspin")
    people = {}
    for word, membership in {
            "admin": MembershipView(msp_id=msp_id, role=Role.MSP_ADMIN),
            "analyst": MembershipView(msp_id=msp_id, role=Role.MSP_ANALYST),
            "customer_admin": MembershipView(msp_id=msp_id, role=Role.CUSTOMER_ADMIN, customer_id=tenant.customer_id),
    }.items():
        user_id, email = add_person(owner_engine, scope_key, [membership])
        people[word] = Scope(msp_id=msp_id, actor=email, user_id=user_id,
                             customer_ids=frozenset({tenant.customer_id}) if membership.customer_id else None)
    account = [str(uuid.uuid4())]

    def recorded() -> list[str]:
        with unit_of_work(web_engine, people["admin"]) as uow:
            return uow.session.execute(text("SELECT break_glass_ids FROM customers WHERE id = :c"),
                                       {"c": tenant.customer_id}).scalar_one()

    injected = unit_of_work(web_engine, people["customer_admin"])
    with pytest.raises(DBAPIError, match="permission denied"), injected as uow:
        uow.session.execute(text("UPDATE customers SET break_glass_ids = :b WHERE id = :c"),
                            {"b": account, "c": tenant.customer_id})
    for who in ("customer_admin", "analyst"):  # the analyst: the tenant is at the Operate tier
        with pytest.raises(DBAPIError, match="not yours to configure"), unit_of_work(web_engine, people[who]) as uow:
            uow.session.execute(text("SELECT posture_record_break_glass(:c, :b)"),
                                {"c": tenant.customer_id, "b": account})
    assert recorded() == []
    with owner_engine.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text("UPDATE customers SET access_tier = 'manage' WHERE id = :c"), {"c": tenant.customer_id})
    for who in ("analyst", "admin"):
        with unit_of_work(web_engine, people[who]) as uow:
            uow.session.execute(text("SELECT posture_record_break_glass(:c, :b)"),
                                {"c": tenant.customer_id, "b": [*account, who]})
        assert recorded() == [*account, who]
    foreign = make_customer(owner_engine, make_msp(owner_engine), name="Another MSP's")
    with pytest.raises(DBAPIError, match="not yours to configure"), unit_of_work(web_engine, people["admin"]) as uow:
        uow.session.execute(text("SELECT posture_record_break_glass(:c, :b)"), {"c": foreign.customer_id, "b": account})


@pytest.mark.parametrize("name", ["Contoso\x00Ltd", "Contoso\nLtd", "Contoso\x7f"])
def test_a_name_with_a_control_character_is_refused_not_a_server_error(msp, web_engine: Engine, name: str) -> None:
    _, scope, admin = msp
    with pytest.raises(InvalidInput, match="control characters"), unit_of_work(web_engine, scope) as uow:
        add_customer(uow, admin, name=name)
