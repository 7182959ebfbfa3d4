"""Onboarding: add a customer, make its admin-consent link, and complete the consent at the callback.

The link is Microsoft's v2 admin-consent URL (msp-anchors §3.1) with ``scope={graph}/.default`` and a
state of 32 random bytes, kept as a sha256 in ``onboarding_requests`` (migration 0011), bound to the
MSP, the customer and the person who made it, valid for ``CONSENT_LIFETIME``. At the callback:

1. the state must be known, unspent and unexpired; an ``error`` is explained (``_messages``);
2. the consent is confirmed with Microsoft (``_verify``), retried briefly while it spreads; if it is
   still spreading, the request stays open and the page tries again;
3. the tenant is bound to the customer by ``posture_bind_tenant``, which spends the request; a tenant
   bound to any other customer, of any MSP, is refused without saying whose it is;
4. the customer becomes ``connected`` (or ``degraded``, naming what is missing), its first scan is
   queued, and all of it is on record.

Decisions:
- A link lasts 72 hours: MSPs mail it to a customer's administrator, who rarely acts within minutes,
  and the state only binds an answer to a request (the consent itself is Microsoft's).
- The tenant segment of the link is the customer's domain when the MSP gave one (Entra then asks the
  administrator of that tenant only), else ``organizations``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode

from sqlalchemy import Engine, select, text

from portal.db.engine import scope_key_of
from portal.db.models import ConnectionState, Customer, ScanTrigger
from portal.db.scope import Scope, sign_fields
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.accounts import Action, CustomerAccess, MembershipView, may
from portal.services.audit import record_event
from portal.services.customers import parse_tags
from portal.services.environment import ScannerEnvironment
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.onboarding._messages import consent_error_message
from portal.services.onboarding._verify import ConsentNotVerified, verify_with_retries
from portal.services.plain_text import plain_line
from portal.services.scans import ScanQueue, next_scan_time, start_scan, window_of
from portal.services.service_status import msp_suspension

__all__ = ["CONSENT_LIFETIME", "ConsentApp", "ConsentResult", "add_customer", "complete_consent", "consent_link",
           "may_make_consent_link"]

CONSENT_LIFETIME = dt.timedelta(hours=72)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class ConsentApp:
    """The service app as consent needs it: where to send the administrator, and where they come back."""

    authority_host: str
    client_id: str
    redirect_uri: str  # the portal's /onboarding/callback, registered on the app
    graph_url: str
    required_permissions: tuple[str, ...]


@dataclass(frozen=True)
class ConsentResult:
    """What the callback page says. ``kind``: connected, degraded, spreading (try again) or refused."""

    kind: Literal["connected", "degraded", "spreading", "refused"]
    message: str
    customer_name: str | None = None
    missing: tuple[str, ...] = ()
    code: int | None = None


def _hash(state: str) -> bytes:
    return hashlib.sha256(state.encode()).digest()


def _clean_domain(domain: str) -> str | None:
    domain = domain.strip().lower()
    if not domain:
        return None
    if not (_DOMAIN.match(domain) or _GUID.match(domain)):
        raise InvalidInput("give the customer's domain (contoso.com, contoso.onmicrosoft.com) or tenant id, or "
                           "leave it empty")
    return domain


def add_customer(uow: UnitOfWork, caller: MembershipView, *, name: str, domain: str = "",
                 tags: str = "") -> uuid.UUID:
    """A new customer of the scope's MSP, waiting for consent (MSP admins: ``MANAGE_CUSTOMERS``).

    ``tags`` is the form's comma-separated list (``parse_tags``): they group the fleet and decide
    which tag-scoped analysts see the customer, which is why only MSP admins set them.

    Raises:
        Forbidden: the caller may not add customers.
        InvalidInput: no name, a domain that is not one, or tags that are not tags.
    """
    if not may(caller, Action.MANAGE_CUSTOMERS):
        raise Forbidden("only MSP admins add customers")
    name = plain_line(name, "customer's name", max_length=200)
    customer_id = uuid.uuid4()
    labels = list(parse_tags(tags))
    # The columns the portal may write (migration 0011); the rest are the database's defaults.
    uow.session.execute(text(
        "INSERT INTO customers (id, customer_id, msp_id, name, default_domain, connection_state, tags) "
        "VALUES (:i, :i, :m, :n, :d, 'pending_consent', :t)"),
        {"i": customer_id, "m": uow.scope.msp_id, "n": name, "d": _clean_domain(domain), "t": labels})
    record_event(uow, customer_id=customer_id, action="customer.added", target=f"customer:{customer_id}",
                 details={"name": name, "tags": labels})
    return customer_id


def may_make_consent_link(caller: MembershipView, customer: Customer) -> bool:
    """MSP admins (who add customers), and staff who may manage the customer's connection (Manage tier);
    never for a billing customer sharing another's tenant (it has none of its own to connect, and the
    database would refuse to bind one: migration 0026)."""
    if customer.billing_host_id is not None:
        return False
    access = CustomerAccess(customer.id, customer.msp_id, customer.access_tier, frozenset(customer.tags or ()))
    return may(caller, Action.MANAGE_CUSTOMERS) or may(caller, Action.MANAGE_CONNECTION, access)


def consent_link(uow: UnitOfWork, engine: Engine, caller: MembershipView, customer_id: uuid.UUID, app: ConsentApp,
                 *, now: dt.datetime | None = None) -> str:
    """A new admin-consent link for the customer (its state is single use and expires).

    Raises:
        NotFound: no such customer in the caller's scope.
        Forbidden: the caller may not connect this customer.
    """
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    if not may_make_consent_link(caller, customer):
        raise Forbidden("your role, or the MSP's access tier for this customer, does not allow connecting it")
    state = secrets.token_urlsafe(32)
    state_hash = _hash(state)
    expires = int(((now or dt.datetime.now(dt.UTC)) + CONSENT_LIFETIME).timestamp())
    expected = customer.tenant_id or customer.default_domain
    signature = sign_fields(scope_key_of(engine), ["onboarding", str(uow.scope.msp_id), str(customer_id),
                                                   state_hash.hex(), str(expires)])
    request_id = uow.session.execute(text("SELECT posture_create_onboarding(:c, :h, :e, :x, :s)"), {
        "c": customer_id, "h": state_hash, "e": expected or "", "x": expires, "s": signature}).scalar_one()
    record_event(uow, customer_id=customer_id, action="consent.link_made", target=f"onboarding:{request_id}",
                 details={"expires_at": dt.datetime.fromtimestamp(expires, dt.UTC).isoformat()})
    segment = quote(expected or "organizations", safe="")
    query = urlencode({"client_id": app.client_id, "scope": f"{app.graph_url.rstrip('/')}/.default",
                       "redirect_uri": app.redirect_uri, "state": state})
    return f"{app.authority_host.rstrip('/')}/{segment}/v2.0/adminconsent?{query}"


def _close(engine: Engine, request_id: uuid.UUID, outcome: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("SELECT posture_close_onboarding(:r, :o, :s)"), {
            "r": request_id, "o": outcome,
            "s": sign_fields(scope_key_of(engine), ["close-onboarding", str(request_id), outcome])})


def _audit(engine: Engine, request: object, action: str, details: dict[str, object]) -> None:
    scope = Scope.for_customer(request.msp_id, request.customer_id, actor="system:consent")  # type: ignore[attr-defined]
    with unit_of_work(engine, scope) as uow:
        record_event(uow, customer_id=request.customer_id, action=action,  # type: ignore[attr-defined]
                     target=f"onboarding:{request.id}", details=details)  # type: ignore[attr-defined]


def complete_consent(engine: Engine, params: Mapping[str, str], *, env: ScannerEnvironment, app: ConsentApp,
                     queue: ScanQueue, retry_delays_s: tuple[float, ...] = (2.0, 4.0),
                     now: dt.datetime | None = None) -> ConsentResult:
    """Handle Microsoft's redirect after an administrator's consent decision (never raises for bad input)."""
    state = params.get("state") or ""
    with engine.begin() as connection:
        request = connection.execute(text("SELECT * FROM posture_onboarding_request(:h)"),
                                     {"h": _hash(state)}).one_or_none() if state else None
    if request is None:
        return ConsentResult("refused", "This page only makes sense coming back from Microsoft's consent page, "
                                        "through a link made in the portal. Ask your service provider for a new link.")
    if request.status == "used":
        return ConsentResult("refused", "This consent link was used already. If the tenant is not connected, ask "
                                        "your service provider for a new link.")
    if request.status == "expired":
        _audit(engine, request, "consent.expired", {})
        return ConsentResult("refused", "This consent link has expired. Ask your service provider for a new one.")
    if params.get("error"):
        code, message = consent_error_message(params.get("error"), params.get("error_description"))
        _close(engine, request.id, f"error:{code or params.get('error', '')[:40]}")
        _audit(engine, request, "consent.failed", {"error": params.get("error", "")[:40], "code": code})
        return ConsentResult("refused", message, code=code)
    tenant = params.get("tenant") or ""
    if not _GUID.match(tenant) or params.get("admin_consent", "").lower() != "true":
        _close(engine, request.id, "malformed")
        _audit(engine, request, "consent.failed", {"error": "malformed callback"})
        return ConsentResult("refused", "Microsoft's answer was incomplete. Ask your service provider for a new link.")
    try:
        verified = asyncio.run(verify_with_retries(tenant, env=env, client_id=app.client_id,
                                                   required=list(app.required_permissions),
                                                   expected=request.expected_tenant, delays_s=retry_delays_s))
    except ConsentNotVerified as exc:
        if exc.spreading:
            return ConsentResult("spreading", str(exc))
        _close(engine, request.id, "not verified")
        _audit(engine, request, "consent.failed", {"error": str(exc)[:200]})
        return ConsentResult("refused", str(exc))
    key = scope_key_of(engine)
    with engine.begin() as connection:
        bound = connection.execute(text("SELECT posture_bind_tenant(:r, :t, :s)"), {
            "r": request.id, "t": verified.tenant_id,
            "s": sign_fields(key, ["bind-tenant", str(request.id), verified.tenant_id])}).scalar_one()
    if bound != "bound":
        _audit(engine, request, "consent.refused", {"reason": bound})
        messages = {
            "taken": "This Microsoft tenant is already connected to the service for another customer. If that is "
                     "wrong, ask your service provider to contact support.",
            "mismatch": "This customer is connected to a different Microsoft tenant; consent from another tenant "
                        "cannot replace it.",
            "closed": "This consent link was used already.",
        }
        return ConsentResult("refused", messages.get(bound, "The consent could not be recorded."))
    return _connect(engine, request, verified.missing, verified.domains, queue, now or dt.datetime.now(dt.UTC))


def _connect(engine: Engine, request: object, missing: tuple[str, ...], domains: tuple[str, ...], queue: ScanQueue,
             now: dt.datetime) -> ConsentResult:
    msp_id, customer_id = request.msp_id, request.customer_id  # type: ignore[attr-defined]
    with unit_of_work(engine, Scope.for_customer(msp_id, customer_id, actor="system:consent")) as uow:
        customer = uow.session.scalar(select(Customer).where(Customer.id == customer_id).with_for_update())
        assert customer is not None
        customer.connection_state = ConnectionState.DEGRADED if missing else ConnectionState.CONNECTED
        customer.missing_permissions = list(missing)
        customer.connection_reason = None
        customer.hard_failures = 0
        customer.default_domain = customer.default_domain or next(
            (d for d in domains if not d.endswith(".onmicrosoft.com")), domains[0] if domains else None)
        customer.next_scan_at = next_scan_time(now, interval_hours=customer.scan_interval_hours,
                                               customer_id=customer.id, window=window_of(customer))
        name = customer.name
        record_event(uow, customer_id=customer_id, action="customer.connected",
                     target=f"onboarding:{request.id}",  # type: ignore[attr-defined]
                     details={"missing": list(missing), "link_made_by": request.created_by_email})  # type: ignore[attr-defined]
        held = msp_suspension(uow) is not None or customer.operator_suspended_at is not None
        if not held:  # a suspended service is connected but not scanned until it is reactivated
            start_scan(uow, customer_id, ScanTrigger.ONBOARDING, queue=queue)
    if missing:
        return ConsentResult("degraded", "Some permissions are missing: the checks that need them report an "
                                         "error until they are granted. The first scan is on its way.", name, missing)
    return ConsentResult("connected", "The first scan is on its way.", name)
