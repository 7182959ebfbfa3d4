"""Invitations through the pages and a real SMTP server: who may invite, accepting with a new account
or an existing one, single use, and that nobody accepts for someone else."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.services.accounts import MembershipView, current_session, sign_in
from portal.services.mail import SmtpSender
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.portal.services.support import make_customer, make_msp
from tests.support.people import PASSWORD, add_person
from tests.support.smtp import Inbox, body

NEW = "a new member's long passphrase"


@pytest.fixture
def world(owner_engine: Engine, scope_key: bytes) -> dict[str, object]:
    msp, other = make_msp(owner_engine), make_msp(owner_engine)
    mine, theirs = make_customer(owner_engine, msp, name="Contoso").customer_id, \
        make_customer(owner_engine, other, name="Elsewhere").customer_id
    admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)], name="Ada")[1]
    analyst = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ANALYST)])[1]
    customer_admin = add_person(owner_engine, scope_key, [
        MembershipView(msp_id=msp, role=Role.CUSTOMER_ADMIN, customer_id=mine)])[1]
    outsider = add_person(owner_engine, scope_key, [MembershipView(msp_id=other, role=Role.MSP_ADMIN)])[1]
    return {"msp": msp, "mine": mine, "theirs": theirs, "admin": admin, "analyst": analyst,
            "customer_admin": customer_admin, "outsider": outsider}


@pytest.fixture
def client(web_engine: Engine, inbox: tuple[Inbox, int]) -> Iterator[TestClient]:
    runtime = WebRuntime(engine=web_engine, mailer=SmtpSender("127.0.0.1", inbox[1], "posture@msp.example", tls="none"),
                         public_url="https://portal.msp.example")
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def _csrf(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    client.cookies.clear()
    token = _csrf(client.get("/sign-in").text)
    client.post("/sign-in", data={"email": email, "password": password, "_csrf_token": token})


def _invite(client: TestClient, **form: str):
    return client.post("/team/invitations", data={**form, "_csrf_token": _csrf(client.get("/account/tokens").text)})


def _link(inbox: tuple[Inbox, int], count: int) -> str:
    mail = inbox[0].wait(count)[count - 1]
    return re.search(r"https://portal\.msp\.example(/invitations/[A-Za-z0-9_-]+)", body(mail)).group(1)


def test_an_msp_admin_invites_an_analyst_who_joins_with_a_new_account(client: TestClient, inbox, world,
                                                                      web_engine: Engine) -> None:
    _sign_in(client, world["admin"])
    email = f"new-{uuid.uuid4().hex[:6]}@example.test"
    sent = _invite(client, email=email, role="msp_analyst", tags="gold")
    assert sent.status_code == 200 and f"Invitation sent to {email}" in sent.text
    assert email in client.get("/team").text  # listed as open

    link = _link(inbox, 1)
    client.cookies.clear()
    page = client.get(link)
    assert "Join Test MSP" in page.text and "Create my account" in page.text
    joined = client.post(f"{link}/new", data={"display_name": "Nia New", "password": NEW, "confirm": NEW,
                                              "_csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert joined.status_code == 303
    home = client.get("/")  # MSP staff start at the fleet
    assert "Nia New" in home.text and "<h1>Fleet</h1>" in home.text
    token, _ = sign_in(web_engine, email, NEW, address="x")
    [organisation] = current_session(web_engine, token).organisations
    assert organisation.membership.tags == {"gold"}
    again = client.post(f"{link}/new", data={"display_name": "Again", "password": NEW, "confirm": NEW,
                                             "_csrf_token": _csrf(page.text)})
    assert again.status_code == 400  # single use


@pytest.mark.parametrize(("who", "form", "status"), [
    ("analyst", {"role": "msp_analyst"}, 403),  # analysts manage no team
    ("customer_admin", {"role": "msp_admin"}, 403),  # customer roles invite customer roles only
    ("admin", {"role": "customer_viewer", "customer_id": "theirs"}, 403),  # another MSP's customer
])
def test_who_may_not_invite_whom(who: str, form: dict[str, str], status: int, client: TestClient, world,
                                 inbox) -> None:
    _sign_in(client, world[who])
    if form.get("customer_id") == "theirs":
        form = {**form, "customer_id": str(world["theirs"])}
    response = _invite(client, email="x@example.test", **form)
    assert response.status_code == status
    assert inbox[0].messages == []


@pytest.mark.parametrize("email", ["me@evil.test,boss@evil.test", "me@evil.test boss@evil.test", "a@b@c.test",
                                   "me@evil.test\r\nBcc: boss@evil.test", "no-at-sign"])
def test_an_invitation_goes_to_one_address(email: str, client: TestClient, world, inbox) -> None:
    _sign_in(client, world["customer_admin"])
    response = _invite(client, email=email, role="customer_viewer")
    assert response.status_code == 400 and "email address" in response.text
    assert inbox[0].messages == []


def test_a_customer_admin_invites_to_their_own_tenant(client: TestClient, world, inbox, owner_engine: Engine) -> None:
    _sign_in(client, world["customer_admin"])
    response = _invite(client, email="viewer@contoso.example", role="customer_viewer")
    assert response.status_code == 200
    with owner_engine.connect() as connection:
        customer = connection.execute(text("SELECT customer_id FROM invitations WHERE email = 'viewer@contoso.example'"
                                           )).scalar()
    assert customer == world["mine"]


def test_an_existing_user_joins_only_signed_in_as_themselves(client: TestClient, world, inbox,
                                                             web_engine: Engine) -> None:
    _sign_in(client, world["admin"])
    _invite(client, email=world["outsider"], role="msp_analyst")
    link = _link(inbox, 1)

    _sign_in(client, world["analyst"])  # someone else, signed in
    page = client.get(link)
    assert "You have an account" in page.text
    refused = client.post(f"{link}/accept", data={"_csrf_token": _csrf(page.text)})
    assert refused.status_code == 400
    new_account = client.post(f"{link}/new", data={"display_name": "Squatter", "password": NEW, "confirm": NEW,
                                                   "_csrf_token": _csrf(page.text)})
    assert new_account.status_code == 400  # the email has an account: no second one

    _sign_in(client, world["outsider"])
    accepted = client.post(f"{link}/accept", data={"_csrf_token": _csrf(client.get(link).text)},
                           follow_redirects=False)
    assert accepted.status_code == 303
    token, _ = sign_in(web_engine, world["outsider"], PASSWORD, address="x")
    assert len(current_session(web_engine, token).organisations) == 2  # their own MSP, and now this one


def test_an_injected_query_cannot_make_a_link_it_knows_or_write_invitations(web_engine: Engine, world,
                                                                           owner_engine: Engine) -> None:
    from sqlalchemy.exc import DBAPIError

    from portal.db.scope import Scope
    from portal.db.uow import unit_of_work
    from portal.services.accounts._invitations import invitation_signature

    with owner_engine.connect() as connection:
        admin_id = connection.execute(text("SELECT id FROM users WHERE email = :e"), {"e": world["admin"]}).scalar()
    scope = Scope(msp_id=world["msp"], actor=world["admin"], user_id=admin_id)
    token_hash = uuid.uuid4().bytes * 2
    forged = invitation_signature(b"a guessed key", world["msp"], token_hash, "x@example.test", 4_102_444_800)
    with pytest.raises(DBAPIError, match="only by the portal"), unit_of_work(web_engine, scope) as uow:
        uow.session.execute(text("SELECT posture_create_invitation(:h, 'x@example.test', 'msp_admin', NULL, NULL, "
                                 "4102444800, :s)"), {"h": token_hash, "s": forged})
    for sql in ("INSERT INTO invitations (token_hash, msp_id, email, role, invited_by, expires_at) VALUES "
                "(:h, :m, 'x@example.test', 'msp_admin', 'me', now() + interval '1 day')",
                "UPDATE invitations SET accepted_at = NULL", "SELECT token_hash FROM invitations"):
        with pytest.raises(DBAPIError, match="permission denied"), unit_of_work(web_engine, scope) as uow:
            uow.session.execute(text(sql), {"h": token_hash, "m": world["msp"]})
