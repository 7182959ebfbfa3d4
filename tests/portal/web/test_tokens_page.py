"""The API tokens page: a token is shown once, works, is listed without its value, and is revoked."""

from __future__ import annotations

import re

from litestar.testing import TestClient
from sqlalchemy import Engine

from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.portal.services.support import make_customer, make_msp
from tests.portal.web.support import token_for
from tests.support.people import PASSWORD, add_person


def _csrf(page_text: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page_text)
    assert match
    return match.group(1)


def test_make_use_list_and_revoke_a_token(web_engine: Engine, owner_engine: Engine, scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    make_customer(owner_engine, msp, name="Contoso")
    membership = MembershipView(msp_id=msp, role=Role.MSP_ANALYST)
    _, email = add_person(owner_engine, scope_key, [membership], name="Dee")
    other_id, other_email = add_person(owner_engine, scope_key, [membership], name="Eve")
    others_token_id, others_token = token_for(web_engine, other_id, other_email, membership)

    with TestClient(create_app(WebRuntime(engine=web_engine))) as client:
        client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                      "_csrf_token": _csrf(client.get("/sign-in").text)})
        page = client.get("/account/tokens")
        made = client.post("/account/tokens", data={"name": "PSA sync", "days": "30", "access": "read",
                                                    "_csrf_token": _csrf(page.text)})
        token = re.search(r'<code class="token">(pst_[A-Za-z0-9_-]+)</code>', made.text).group(1)
        api = TestClient(client.app)
        listed = api.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
        assert [c["name"] for c in listed.json()["customers"]] == ["Contoso"]

        again = client.get("/account/tokens")
        assert token not in again.text and "PSA sync" in again.text
        own_id = re.search(r'action="/account/tokens/([0-9a-f-]{36})/revoke"', again.text).group(1)
        client.post(f"/account/tokens/{others_token_id}/revoke", data={"_csrf_token": _csrf(again.text)})
        client.post(f"/account/tokens/{own_id}/revoke", data={"_csrf_token": _csrf(again.text)})

        assert api.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert api.get("/api/v1/customers", headers={"Authorization": f"Bearer {others_token}"}).status_code == 200
        bad = client.post("/account/tokens", data={"name": "", "days": "400", "_csrf_token": _csrf(again.text)})
        assert bad.status_code == 400 and "role=\"alert\"" in bad.text


def test_a_token_cannot_make_tokens(web_engine: Engine, owner_engine: Engine, scope_key: bytes) -> None:
    membership = MembershipView(msp_id=make_msp(owner_engine), role=Role.MSP_ADMIN)
    user_id, email = add_person(owner_engine, scope_key, [membership])
    _, token = token_for(web_engine, user_id, email, membership, read_write=True)
    with TestClient(create_app(WebRuntime(engine=web_engine))) as client:
        response = client.get("/account/tokens", headers={"Authorization": f"Bearer {token}"},
                              follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/sign-in")
