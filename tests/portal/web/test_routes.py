"""Every route of the app, enumerated from the app itself, refuses an anonymous caller unless it is
one of the few public ones; a new route fails here until it is classified (issue 7's authorization
matrix grows from this table as the pages and API of the next issues arrive)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine

from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.portal.web.support import app_routes

#: Reachable without signing in, on purpose.
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/sign-in"), ("POST", "/sign-in"),
          ("GET", "/password-reset"), ("POST", "/password-reset"), ("GET", "/password-reset/{token:str}"),
          ("POST", "/password-reset/{token:str}"), ("GET", "/sign-in/second-factor"),
          ("POST", "/sign-in/second-factor"), ("GET", "/invitations/{token:str}"),
          ("POST", "/invitations/{token:str}/new"), ("GET", "/onboarding/callback"),
          ("GET", "/static/{file_path:path}"), ("HEAD", "/static/{file_path:path}"),
          # The summary's unsubscribe link: the signed token is the authority (portal.web.summaries).
          ("GET", "/unsubscribe/{token:str}"), ("POST", "/unsubscribe/{token:str}")}
#: Pages: an anonymous GET is sent to the sign-in page; a form post without its CSRF token is refused.
PAGES = {("GET", "/"), ("POST", "/sign-out"), ("POST", "/organisation"), ("GET", "/account/tokens"),
         ("POST", "/account/tokens"), ("POST", "/account/tokens/{token_id:uuid}/revoke"),
         ("GET", "/account/password"), ("POST", "/account/password"), ("GET", "/account/two-factor"),
         ("POST", "/account/two-factor/begin"), ("POST", "/account/two-factor/confirm"),
         ("POST", "/account/two-factor/requirement"), ("GET", "/team"), ("POST", "/team/invitations"),
         ("POST", "/invitations/{token:str}/accept"), ("GET", "/audit"),
         ("POST", "/team/members/{membership_id:uuid}"), ("POST", "/team/members/{membership_id:uuid}/remove"),
         ("GET", "/fleet"), ("GET", "/fleet/export.csv"), ("GET", "/customers/{customer_id:uuid}"),
         ("GET", "/customers/{customer_id:uuid}/findings/{check_id:str}"),
         ("POST", "/customers/{customer_id:uuid}/scans"), ("GET", "/customers/new"), ("POST", "/customers/new"),
         ("POST", "/customers/{customer_id:uuid}/consent-link"), ("POST", "/customers/{customer_id:uuid}/break-glass"),
         ("GET", "/customers/{customer_id:uuid}/scans/{scan_id:uuid}/progress"),
         ("POST", "/customers/{customer_id:uuid}/findings/{check_id:str}/acceptance"),
         ("POST", "/customers/{customer_id:uuid}/findings/{check_id:str}/acceptance/revoke"),
         ("GET", "/search"), ("GET", "/search/export.csv"), ("POST", "/search/saved"),
         ("POST", "/search/saved/{saved_id:uuid}/delete"), ("POST", "/search/reverify"),
         ("GET", "/search/reverify/{run_id:uuid}/progress"), ("GET", "/changes"),
         ("GET", "/customers/{customer_id:uuid}/changes"), ("POST", "/customers/{customer_id:uuid}/schedule"),
         ("POST", "/customers/{customer_id:uuid}/suspension"), ("GET", "/alerts"), ("POST", "/alerts/channels"),
         ("POST", "/alerts/channels/{channel_id:uuid}/delete"), ("POST", "/alerts/channels/{channel_id:uuid}/test"),
         ("POST", "/alerts/rules"), ("POST", "/alerts/rules/{rule_id:uuid}/delete"), ("GET", "/baselines"),
         ("GET", "/baselines/new"), ("POST", "/baselines/new"), ("GET", "/baselines/{baseline_id:uuid}"),
         ("POST", "/baselines/{baseline_id:uuid}"), ("POST", "/baselines/{baseline_id:uuid}/delete"),
         ("GET", "/branding"), ("POST", "/branding"), ("POST", "/branding/preview"),
         ("GET", "/customers/{customer_id:uuid}/branding"), ("POST", "/customers/{customer_id:uuid}/branding"),
         ("POST", "/customers/{customer_id:uuid}/reports"), ("GET", "/customers/{customer_id:uuid}/reports"),
         ("GET", "/customers/{customer_id:uuid}/reports/{report_id:uuid}/pdf"), ("GET", "/reports"),
         ("POST", "/reports"), ("GET", "/reports/{report_id:uuid}/pdf"),
         ("GET", "/customers/{customer_id:uuid}/summary"), ("POST", "/customers/{customer_id:uuid}/summary"),
         ("GET", "/customers/{customer_id:uuid}/summary/log"),
         ("GET", "/customers/{customer_id:uuid}/summary/preview"),
         ("POST", "/customers/{customer_id:uuid}/summary/test"), ("GET", "/billing/licensing"),
         ("POST", "/billing/customers/{customer_id:uuid}/terms"),
         ("POST", "/billing/customers/{customer_id:uuid}/remove"), ("GET", "/billing"), ("POST", "/billing/tiers"),
         ("GET", "/billing/invoice"), ("GET", "/billing/invoice.csv"),
         ("GET", "/billing/invoice.json"), ("GET", "/billing/invoices/{invoice_id:uuid}"),
         ("GET", "/billing/invoices/{invoice_id:uuid}/export.csv"), ("GET", "/operator"),
         ("GET", "/operator/msps/{msp_id:uuid}"), ("POST", "/operator/msps/{msp_id:uuid}/rate-card"),
         ("POST", "/operator/msps/{msp_id:uuid}/suspension"), ("POST", "/operator/msps/{msp_id:uuid}/note"),
         ("POST", "/operator/msps/{msp_id:uuid}/customers/{customer_id:uuid}/suspension"),
         ("POST", "/operator/msps/{msp_id:uuid}/customers/{customer_id:uuid}/note"),
         ("POST", "/operator/msps/{msp_id:uuid}/invoices/{invoice_id:uuid}/reference"),
         ("GET", "/customers/{customer_id:uuid}/tenant"), ("POST", "/customers/{customer_id:uuid}/tenant/review"),
         ("POST", "/customers/{customer_id:uuid}/tenant/selections"),
         ("POST", "/customers/{customer_id:uuid}/tenant/selections/{selection_id:uuid}/remove")}
#: The JSON API: an anonymous call is 401.
API = {("GET", "/api/v1/customers"), ("GET", "/api/v1/search"), ("GET", "/api/v1/drift"),
       ("GET", "/api/v1/customers/{customer_id:uuid}/reports"),
       ("POST", "/api/v1/customers/{customer_id:uuid}/reports"),
       ("GET", "/api/v1/reports/{report_id:uuid}/pdf"), ("GET", "/api/v1/billing/seats"),
       ("POST", "/api/v1/billing/customers/{customer_id:uuid}/terms"), ("GET", "/api/v1/billing/invoice"),
       ("GET", "/api/v1/billing/invoices"), ("GET", "/api/v1/billing/invoices/{invoice_id:uuid}"),
       ("GET", "/api/v1/billing/changes"), ("GET", "/api/v1/billing/tiers"), ("POST", "/api/v1/billing/tiers"),
       ("POST", "/api/v1/billing/customers/{customer_id:uuid}/remove"),
       ("GET", "/api/v1/operator/msps/{msp_id:uuid}/rate-card"),
       ("POST", "/api/v1/operator/msps/{msp_id:uuid}/rate-card"), ("GET", "/api/v1/operator/msps"),
       ("GET", "/api/v1/operator/msps/{msp_id:uuid}"), ("POST", "/api/v1/operator/msps/{msp_id:uuid}/suspension"),
       ("POST", "/api/v1/operator/msps/{msp_id:uuid}/customers/{customer_id:uuid}/suspension"),
       ("POST", "/api/v1/operator/msps/{msp_id:uuid}/notes"),
       ("POST", "/api/v1/operator/msps/{msp_id:uuid}/invoices/{invoice_id:uuid}/reference"),
       ("GET", "/api/v1/customers/{customer_id:uuid}/tenant"),
       ("POST", "/api/v1/customers/{customer_id:uuid}/tenant/selections"),
       ("DELETE", "/api/v1/customers/{customer_id:uuid}/tenant/selections/{selection_id:uuid}")}


@pytest.fixture
def app(web_engine: Engine) -> Litestar:
    return create_app(WebRuntime(engine=web_engine))


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


#: The assistant's endpoint (MCP over streamable HTTP): every method, bearer tokens only.
ASSISTANT = {("ASGI", "/mcp")}


def test_every_route_is_classified(app: Litestar) -> None:
    assert app_routes(app) == PUBLIC | PAGES | API | ASSISTANT


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_the_assistant_refuses_an_anonymous_caller(method: str, client: TestClient) -> None:
    response = client.request(method, "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == 'Bearer realm="posture"'
    assert "tools" not in response.text


@pytest.mark.parametrize(("method", "path"), sorted(PAGES))
def test_pages_refuse_an_anonymous_caller(method: str, path: str, client: TestClient) -> None:
    zero = "00000000-0000-0000-0000-000000000000"
    concrete = re.sub(r"\{\w+:uuid\}", zero, path).replace("{token:str}", "x").replace("{check_id:str}", "x")
    response = client.request(method, concrete, follow_redirects=False)
    if method == "GET":
        assert (response.status_code, response.headers["location"]) == (303, "/sign-in")
    else:
        assert response.status_code == 403  # no CSRF token: refused before the handler runs


@pytest.mark.parametrize(("method", "path"), sorted(API))
def test_the_api_refuses_an_anonymous_caller(method: str, path: str, client: TestClient) -> None:
    response = client.request(method, re.sub(r"\{\w+:uuid\}", "00000000-0000-0000-0000-000000000000", path))
    assert response.status_code == 401
    assert "customers" not in response.json()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_unsubscribe_link_takes_no_sign_in_and_no_csrf_token(method: str, client: TestClient) -> None:
    # A mail client's one-click POST carries no session and no token: it reaches the handler, which
    # refuses an unsigned link as not found (a page POST without its token would be a 403).
    response = client.request(method, "/unsubscribe/not-a-signed-token", follow_redirects=False)
    assert response.status_code == 404 and "This link does not work" in response.text
