"""The alerts page: an MSP admin adds a signed webhook (its secret shown once), a rule and a test; a URL
into our network is refused with the reason; an analyst reads it all and changes nothing."""

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
from tests.portal.services.support import make_msp
from tests.portal.web.support import sign_in
from tests.support.people import add_person

_SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


@pytest.fixture
def people(owner_engine: Engine, scope_key: bytes) -> dict[str, tuple[object, str]]:
    msp = make_msp(owner_engine)
    return {"admin": add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)]),
            "analyst": add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ANALYST)])}


@pytest.fixture
def client(web_engine: Engine) -> Iterator[TestClient]:
    # The production default: alerts may not aim at private or loopback addresses.
    with TestClient(create_app(WebRuntime(engine=web_engine))) as test_client:
        yield test_client


def test_an_admin_sets_up_alerts_and_the_secret_is_shown_once(client: TestClient, owner_engine: Engine,
                                                              people: dict) -> None:  # type: ignore[type-arg]
    csrf = sign_in(client, people["admin"][1])
    refused = client.post("/alerts/channels", data={"_csrf_token": csrf, "kind": "webhook", "name": "Inside",
                                                    "target": "https://169.254.169.254/latest/meta-data"})
    assert refused.status_code == 400 and "private, loopback or reserved" in refused.text
    made = client.post("/alerts/channels", data={"_csrf_token": csrf, "kind": "webhook", "name": "SOC",
                                                 "target": "https://[2606:4700::1111]/hooks/posture"})
    assert made.status_code == 200
    secret = _SECRET.search(made.text).group(1)  # type: ignore[union-attr]
    assert len(secret) >= 40
    page = client.get("/alerts").text
    assert secret not in page and "SOC" in page and "https://2606:4700::1111/…ture" in page
    with owner_engine.connect() as connection:
        channel_id = connection.execute(text(
            "SELECT id FROM alert_channels WHERE name = 'SOC' AND msp_id IN "
            "(SELECT msp_id FROM memberships WHERE role = 'msp_admin' AND user_id = :u)"),
            {"u": people["admin"][0]}).scalar_one()
    assert client.post("/alerts/rules", data={"_csrf_token": csrf, "condition": "score_drop", "threshold": "15",
                                              "channel_id": str(channel_id)}, follow_redirects=False).status_code == 303
    assert "Score dropped by more than 15 points" in client.get("/alerts").text
    client.post(f"/alerts/channels/{channel_id}/test", data={"_csrf_token": csrf})
    assert "pill-warn\">pending" in client.get("/alerts").text


def test_an_analyst_reads_alerts_but_changes_nothing(client: TestClient, people: dict) -> None:  # type: ignore[type-arg]
    csrf = sign_in(client, people["analyst"][1])
    page = client.get("/alerts")
    assert page.status_code == 200 and "Add channel" not in page.text
    assert client.post("/alerts/channels", data={"_csrf_token": csrf, "kind": "email", "name": "x",
                                                 "target": "a@b.example"}).status_code == 403


@pytest.mark.parametrize(("path", "form"), [
    ("/alerts/channels", {"kind": "email", "name": "On\x00call", "target": "a@b.example"}),
    ("/alerts/channels", {"kind": "email", "name": "On call", "target": "a\x00b@b.example"}),
    ("/alerts/channels", {"kind": "webhook", "name": "x" * 5000, "target": "https://a.example/h"}),
    ("/baselines/new", {"name": "Strict", "every_check": "on", "global_admin_max": "nan"}),
    ("/baselines/new", {"name": "Strict\x00", "every_check": "on"}),
    ("/baselines/new", {"name": "Strict", "every_check": "on", "overrides": "\x00"}),
])
def test_hostile_forms_get_a_400_not_a_500(web_engine: Engine, people: dict, path: str,  # type: ignore[type-arg]
                                           form: dict[str, str]) -> None:
    with TestClient(create_app(WebRuntime(engine=web_engine)), raise_server_exceptions=False) as client:
        csrf = sign_in(client, people["admin"][1])
        answer = client.post(path, data={"_csrf_token": csrf, **form}, follow_redirects=False)
    assert answer.status_code == 400, answer.text[:300]
