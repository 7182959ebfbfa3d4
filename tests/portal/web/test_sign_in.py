"""Signing in through the portal's pages, on the real database: CSRF, cookies, fixation, throttling,
sign-out across two web processes, the organisation switcher."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from portal.db.engine import make_engine, role_url
from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.services.accounts._sessions import ACCOUNT_AT_ADDRESS_LIMIT
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.conftest import ROLES
from tests.portal.services.support import make_customer, make_msp
from tests.support.people import PASSWORD, add_person


@pytest.fixture
def account(owner_engine: Engine, scope_key: bytes) -> tuple[str, str, str]:
    """An MSP admin of one MSP who is also a customer admin at another MSP's customer."""
    first, second = make_msp(owner_engine), make_msp(owner_engine)
    customer = make_customer(owner_engine, second, name="Fabrikam").customer_id
    _, email = add_person(owner_engine, scope_key, [
        MembershipView(msp_id=first, role=Role.MSP_ADMIN),
        MembershipView(msp_id=second, role=Role.CUSTOMER_ADMIN, customer_id=customer)], name="Bea Admin")
    return email, f"{second}:{customer}", str(first)


@pytest.fixture
def client(web_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as test_client:
        yield test_client


def _csrf(client: TestClient) -> str:
    page = client.get("/sign-in")
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def _sign_in(client: TestClient, email: str, password: str = PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password, "_csrf_token": _csrf(client)},
                       follow_redirects=False)


def test_the_portal_url_leads_to_a_sign_in_form_with_its_csrf_token(client: TestClient) -> None:
    page = client.get("/", follow_redirects=True)
    assert page.url.path == "/sign-in"
    assert re.search(r'<input type="email" name="email"', page.text)
    assert re.search(r'<input type="password" name="password"', page.text)
    assert re.search(r'<input type="hidden" name="_csrf_token" value="[^"]+"', page.text)
    assert "<script>" not in page.text  # no inline script: the CSP forbids it


def test_a_post_without_its_csrf_token_is_refused(client: TestClient, account) -> None:
    email, _, _ = account
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert "posture_session" not in response.cookies


def test_signing_in_sets_a_session_cookie_and_shows_the_organisations(client: TestClient, account) -> None:
    email, customer_key, msp_key = account
    response = _sign_in(client, email)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    cookie = response.headers["set-cookie"]
    assert "posture_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")

    home = client.get("/")
    assert home.status_code == 200 and "Bea Admin" in home.text
    assert f'value="{customer_key}"' in home.text and f'value="{msp_key}"' in home.text  # the switcher


def test_a_wrong_password_says_so_without_saying_which_part(client: TestClient, account) -> None:
    email, _, _ = account
    wrong_password, unknown = _sign_in(client, email, "nope"), _sign_in(client, "nobody@example.test")
    for response in (wrong_password, unknown):
        assert response.status_code == 400
        assert "do not match an account" in response.text
        assert "posture_session" not in response.cookies


def test_a_session_planted_before_sign_in_is_not_the_one_signed_in(client: TestClient, account) -> None:
    email, _, _ = account
    client.cookies.set("posture_session", "planted-by-an-attacker")
    response = _sign_in(client, email)
    assert response.cookies["posture_session"] != "planted-by-an-attacker"


def test_too_many_failures_answer_429_with_retry_after(client: TestClient, account) -> None:
    email, _, _ = account
    for _ in range(ACCOUNT_AT_ADDRESS_LIMIT):
        assert _sign_in(client, email, "guess").status_code == 400
    throttled = _sign_in(client, email)
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= 900


def test_sign_out_in_one_web_process_ends_the_session_in_another(owner_url: str, scope_key: bytes,
                                                                 web_engine: Engine, account) -> None:
    email, _, _ = account
    other = make_engine(role_url(owner_url, ROLES.web), pool_size=1, scope_key=scope_key)
    try:
        with TestClient(create_app(WebRuntime(engine=web_engine))) as first, \
                TestClient(create_app(WebRuntime(engine=other))) as second:
            token = _sign_in(first, email).cookies["posture_session"]
            second.cookies.set("posture_session", token)
            assert second.get("/account/password", follow_redirects=False).status_code == 200
            second.post("/sign-out", data={"_csrf_token": _csrf(second)}, follow_redirects=False)
            assert first.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    finally:
        other.dispose()


def test_the_organisation_switcher_accepts_only_the_users_own_organisations(client: TestClient, account) -> None:
    email, customer_key, _ = account
    _sign_in(client, email)
    client.post("/organisation", data={"organisation": customer_key, "_csrf_token": _csrf(client)})
    assert "<h1>Fabrikam</h1>" in client.get("/").text  # their tenant's page

    forged = f"{uuid.uuid4()}:{uuid.uuid4()}"
    client.post("/organisation", data={"organisation": forged, "_csrf_token": _csrf(client)})
    assert "<h1>Fabrikam</h1>" in client.get("/").text  # unchanged: not theirs
