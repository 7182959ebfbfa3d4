"""The Litestar app: the portal's pages and ``/api/v1`` on the same services (issue 7 lays them down;
this first part is the process: health, readiness, security headers, static files, OpenAPI).

:func:`create_app` takes a :class:`WebRuntime` (tests build their own); :func:`create_app_from_environment`
is the factory ``posture serve`` hands to uvicorn, run once in each worker process: it loads the
settings (never at import), logs in as the web role, and checks readiness through the database and
the broker the settings name.

Decisions:
- Static files (htmx, our CSS) come from ``portal/web/static``, served by the app itself: the portal
  must work without a CDN; a reverse proxy may cache them (they are versioned by name).
- The OpenAPI document is at ``/schema/openapi.json`` (CONTRACT.md), describing every route.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_403_FORBIDDEN, HTTP_404_NOT_FOUND
from litestar.template import TemplateConfig
from sqlalchemy import text

from portal.db.engine import scope_key_of
from portal.services.onboarding import ConsentApp
from portal.web.accounts import AccountsController
from portal.web.accounts.passwords import PasswordsController
from portal.web.accounts.team import InvitationsController, TeamController
from portal.web.accounts.tokens import TokensController
from portal.web.accounts.two_factor import TwoFactorController
from portal.web.alerts import AlertsController
from portal.web.assistant.http import mcp_endpoint
from portal.web.audit import AuditController
from portal.web.baselines import BaselinesController
from portal.web.billing import BillingApiController, BillingController, TenantApiController, TenantController
from portal.web.branding import BrandingController
from portal.web.callers import (
    SecondFactorSetupRequired,
    SignInRequired,
    redirect_to_second_factor,
    redirect_to_sign_in,
)
from portal.web.customers import (
    CustomerPagesController,
    CustomersApiController,
    RisksController,
    ScheduleController,
)
from portal.web.drift import DriftApiController, DriftController
from portal.web.errors import refusal
from portal.web.fleet import FleetController
from portal.web.health import HealthController
from portal.web.onboarding import ConsentCallbackController, OnboardingController
from portal.web.operator import OperatorApiController, OperatorController
from portal.web.reports import FleetReportsController, ReportsApiController, ReportsController
from portal.web.runtime import WebRuntime
from portal.web.search import SearchApiController, SearchController
from portal.web.security_headers import security_headers
from portal.web.service_hold import refuse_writes_while_held
from portal.web.summaries import SummaryController, UnsubscribeController

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "create_app", "create_app_from_environment", "runtime_from_environment"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Jinja2 templates for pages, the PDF report and emails (one folder: DESIGN.md "templates/").
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


def create_app(web: WebRuntime) -> Litestar:
    """The portal's ASGI app over ``web``."""
    # The CSRF secret is derived from the scope key: one secret to keep, the same in every web process.
    csrf_secret = hmac.new(scope_key_of(web.engine), b"posture csrf v1", hashlib.sha256).hexdigest()
    assistant, assistant_lifespan = mcp_endpoint(web)
    return Litestar(
        route_handlers=[HealthController, AccountsController, PasswordsController, TokensController,
                        TwoFactorController, TeamController, InvitationsController, AuditController,
                        FleetController, OnboardingController, CustomerPagesController, CustomersApiController,
                        ConsentCallbackController, SearchController, SearchApiController, RisksController,
                        DriftController, DriftApiController, ScheduleController, AlertsController,
                        BaselinesController, BrandingController, ReportsController, FleetReportsController,
                        ReportsApiController, SummaryController, UnsubscribeController, BillingController,
                        BillingApiController, OperatorController, OperatorApiController, TenantController,
                        TenantApiController, assistant,
                        create_static_files_router(path="/static", directories=[STATIC_DIR])],
        dependencies={"web": Provide(lambda: web, use_cache=True, sync_to_thread=False)},
        before_send=[security_headers(tls=web.tls)],
        before_request=refuse_writes_while_held(web),
        lifespan=[assistant_lifespan],
        exception_handlers={SignInRequired: redirect_to_sign_in, SecondFactorSetupRequired: redirect_to_second_factor,
                            HTTP_403_FORBIDDEN: refusal, HTTP_404_NOT_FOUND: refusal},
        # The API takes no form posts: its writes take bearer tokens only, which a browser never sends on
        # its own, so CSRF does not apply there. The unsubscribe link is posted by mail clients (RFC
        # 8058); its signed token is its authority (portal.web.summaries). ``/mcp`` takes bearer tokens only.
        csrf_config=CSRFConfig(secret=csrf_secret, cookie_name="posture_csrf", cookie_secure=web.tls,
                               cookie_httponly=True, cookie_samesite="strict",
                               exclude=["^/api/", "^/unsubscribe/", "^/mcp"]),
        template_config=TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(title="Microsoft 365 posture", version="1", path="/schema"),
    )


def create_app_from_environment() -> Litestar:
    """Build the app from ``POSTURE_*`` (uvicorn's factory in ``posture serve``)."""
    return create_app(runtime_from_environment())


def runtime_from_environment() -> WebRuntime:
    """The portal's runtime from ``POSTURE_*``: the web role's engine, the broker, mail, the service app
    (the app's, and ``posture mcp``'s)."""
    from config.broker import broker_from_settings, probe_broker
    from config.database import owner_url, web_engine, web_url
    from config.mail import mailer_from
    from config.messages import (
        BrokerReportQueue,
        BrokerRescoreQueue,
        BrokerScanGroup,
        BrokerScanQueue,
        BrokerSummaryQueue,
    )
    from config.microsoft import ScannerNotConfigured, scanner_environment
    from config.settings import load_settings
    from scanner import required_permissions

    settings = load_settings()
    owner = None if settings.web_database_url else owner_url(settings)
    engine = web_engine(settings, owner)
    broker_url = settings.broker_url.get_secret_value() if settings.broker_url else None

    def database() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def broker() -> None:
        probe_broker(broker_url, web_url(settings, owner), engine=engine)

    tls = bool(settings.public_url and settings.public_url.lower().startswith("https://"))
    mailer = mailer_from(settings)
    public_url = (settings.public_url or "http://127.0.0.1:8000").rstrip("/")
    try:
        scanner_env = scanner_environment(settings)
        consent = ConsentApp(authority_host=settings.authority_host, client_id=settings.client_id or "",
                             redirect_uri=f"{public_url}/onboarding/callback", graph_url=settings.graph_url,
                             required_permissions=tuple(required_permissions()))
    except ScannerNotConfigured as exc:
        log.warning("onboarding is off: %s", exc)
        scanner_env, consent = None, None
    publisher = broker_from_settings(settings, owner, publisher=True)
    return WebRuntime(engine=engine, readiness={"database": database, "broker": broker}, tls=tls, mailer=mailer,
                      public_url=public_url, scan_queue=BrokerScanQueue(publisher), consent=consent,
                      scanner_env=scanner_env, rescore_queue=BrokerRescoreQueue(publisher),
                      scan_group=BrokerScanGroup(publisher), report_queue=BrokerReportQueue(publisher),
                      summary_queue=BrokerSummaryQueue(publisher),
                      alerts_allow_private=settings.alerts_allow_private_targets)
