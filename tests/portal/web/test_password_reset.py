"""Password reset by mail through a real SMTP server (aiosmtpd on loopback), and changing a password."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Role
from portal.services.accounts import MembershipView, current_session, sign_in
from portal.services.accounts._resets import reset_signature
from portal.services.mail import SmtpSender
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.portal.services.support import make_msp
from tests.support.people import PASSWORD, add_person
from tests.support.smtp import Inbox, body

NEW_PASSWORD = "another long passphrase here"


@pytest.fixture
def person(owner_engine: Engine, scope_key: bytes) -> tuple[uuid.UUID, str]:
    return add_person(owner_engine, scope_key, [MembershipView(msp_id=make_msp(owner_engine), role=Role.MSP_ADMIN)])


@pytest.fixture
def client(web_engine: Engine, inbox: tuple[Inbox, int]) -> Iterator[TestClient]:
    mailer = SmtpSender("127.0.0.1", inbox[1], "posture@msp.example", tls="none")
    runtime = WebRuntime(engine=web_engine, mailer=mailer, public_url="https://portal.msp.example")
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def _csrf(text_: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', text_)
    assert match
    return match.group(1)


def _ask(client: TestClient, email: str):
    token = _csrf(client.get("/password-reset").text)
    return client.post("/password-reset", data={"email": email, "_csrf_token": token})



def test_a_mailed_link_sets_a_new_password_once_and_ends_every_session(client: TestClient, inbox, person,
                                                                       web_engine: Engine) -> None:
    _, email = person
    old_session, _ = sign_in(web_engine, email, PASSWORD, address="192.0.2.1")
    answer = _ask(client, email)
    assert answer.status_code == 200 and "If an account exists" in answer.text

    [mail] = inbox[0].wait()
    assert mail["To"] == email and mail["From"] == "posture@msp.example"
    link = re.search(r"https://portal\.msp\.example(/password-reset/[A-Za-z0-9_-]+)", body(mail)).group(1)
    page = client.get(link)
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "_csrf_token": _csrf(page.text)},
                       follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/sign-in?reset=done")

    assert current_session(web_engine, old_session) is None  # every session ended
    assert sign_in(web_engine, email, NEW_PASSWORD, address="192.0.2.1")
    again = client.post(link, data={"password": "yet another passphrase", "confirm": "yet another passphrase",
                                    "_csrf_token": _csrf(page.text)})
    assert again.status_code == 400 and "used, expired or unknown" in again.text  # single use


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client: TestClient, inbox) -> None:
    answer = _ask(client, f"nobody-{uuid.uuid4().hex[:6]}@example.test")
    assert answer.status_code == 200 and "If an account exists" in answer.text
    time.sleep(0.3)
    assert inbox[0].messages == []


def test_requests_are_throttled(client: TestClient, person) -> None:
    _, email = person
    statuses = [_ask(client, email).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_an_expired_link_does_nothing(client: TestClient, inbox, person, owner_engine: Engine) -> None:
    _, email = person
    _ask(client, email)
    [mail] = inbox[0].wait()
    link = re.search(r"(/password-reset/[A-Za-z0-9_-]+)", body(mail)).group(1)
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE password_resets SET expires_at = now() - interval '1 second'"))
    page = client.get(link)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                       "_csrf_token": _csrf(page.text)})
    assert response.status_code == 400


def test_an_injected_query_cannot_make_its_own_reset_link(web_engine: Engine, person) -> None:
    _, email = person
    token_hash = uuid.uuid4().bytes * 2
    forged = reset_signature(b"a guessed key", email, token_hash, 4_102_444_800)
    with pytest.raises(DBAPIError, match="only by the portal"), web_engine.begin() as connection:
        connection.execute(text("SELECT posture_request_password_reset(:e, :h, 4102444800, :s)"),
                           {"e": email, "h": token_hash, "s": forged})


def test_changing_the_password_signed_in_ends_other_sessions_and_keeps_this_browser_signed_in(
        client: TestClient, person, web_engine: Engine) -> None:
    _, email = person
    elsewhere, _ = sign_in(web_engine, email, PASSWORD, address="192.0.2.9")
    client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                  "_csrf_token": _csrf(client.get("/sign-in").text)})
    page = client.get("/account/password")
    wrong = client.post("/account/password", data={"current": "wrong", "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD, "_csrf_token": _csrf(page.text)})
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    changed = client.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                     "confirm": NEW_PASSWORD, "_csrf_token": _csrf(page.text)},
                          follow_redirects=False)
    assert changed.status_code == 303
    assert current_session(web_engine, elsewhere) is None
    assert client.get("/account/password", follow_redirects=False).status_code == 200  # a fresh session here
