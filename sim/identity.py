"""Simulated Entra ID identity endpoints: OpenID metadata, the v2 token endpoint, v2 admin consent.

Served at the server root, so ``authority_host`` is the server's base URL and MSAL's usual
``{authority_host}/{tenant}`` authority works unchanged (with ``instance_discovery=False``, or through
the ``/common/discovery/instance`` answer here).

Decisions, and why:
- Errors have Entra's shape exactly (``error``, ``error_description`` starting with the AADSTS code,
  ``error_codes``, ``timestamp``, ``trace_id``, ``correlation_id``, ``error_uri``) because clients
  classify them by ``error`` and status, and people read the code (msp-anchors §3.3, §3.4).
- Checks run in Entra's order: request shape, tenant (90002), app present in the tenant (700016 when
  never consented or deleted, 7000112 when disabled), client credential (401 ``invalid_client``),
  then resource (500011). A bad credential is a platform incident, a missing app a customer one, and
  the simulator must not mix them up.
- Certificate assertions are checked like Entra: RS256 or PS256 (MSAL signs PS256 with ``x5t#S256``
  when it knows the certificate, RS256 with ``x5t`` from a thumbprint), thumbprint header matching
  the registered certificate, ``aud`` = this token endpoint (GUID or domain form), ``iss`` = ``sub``
  = client id. An expired assertion answers AADSTS700024 (Entra's code for the time range); every
  other assertion fault answers AADSTS700027.
- The metadata names the tenant GUID in its endpoints even when asked by domain, as Entra does.
- Admin consent re-validates everything on the form POST (client, redirect URI, scope, tenant), so
  a forged POST cannot redirect anywhere unregistered.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import secrets
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect

from sim.state import Audience, SimState
from sim.tenant import Tenant

__all__ = ["IDENTITY_HANDLERS", "aad_error_body"]

_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_MULTI_TENANT = ("organizations", "common")
_GRAPH_IDS = ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")
_EXCHANGE_IDS = ("https://outlook.office365.com", "https://outlook.office.com", "00000002-0000-0ff1-ce00-000000000000")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _state(request: Request) -> SimState:
    return request.app.state["sim"]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def aad_error_body(base: str, error: str, code: int, description: str) -> dict[str, Any]:
    """An Entra error body; ``description`` is the text after ``AADSTS<code>: ``."""
    now = dt.datetime.now(dt.UTC)
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
                             f"Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"{base}/error?code={code}",
    }


def _error(request: Request, status: int, error: str, code: int, description: str) -> Response[Any]:
    return Response(aad_error_body(_base(request), error, code, description), status_code=status,
                    headers={"cache-control": "no-store, no-cache"})


def _tenant_not_found(name: str) -> str:
    return (f"Tenant '{name}' not found. Check to make sure you have the correct tenant ID and are signing into the "
            "correct cloud. Check with your subscription administrator, this may happen if there are no active "
            "subscriptions for the tenant.")


def _app_not_found(client_id: str, tenant: str) -> str:
    return (f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen "
            "if the application has not been installed by the administrator of the tenant or consented to by any "
            "user in the tenant. You may have sent your authentication request to the wrong tenant.")


# OpenID metadata --------------------------------------------------------------------------------
@get("/{tenant:str}/v2.0/.well-known/openid-configuration", sync_to_thread=False)
def openid_configuration(request: Request, tenant: FromPath[str]) -> Response[Any]:
    """What MSAL fetches before its first token request."""
    found = _state(request).find_tenant(tenant)
    if found is None and tenant.lower() not in _MULTI_TENANT:
        return _error(request, 400, "invalid_tenant", 90002, _tenant_not_found(tenant))
    base = _base(request)
    segment = found.id if found else tenant.lower()
    issuer_tenant = found.id if found else "{tenantid}"
    root = f"{base}/{segment}"
    return Response({
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{issuer_tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "roles"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "msgraph_host": urlsplit(base).netloc,
    })


@get("/{tenant:str}/discovery/v2.0/keys", sync_to_thread=False)
def signing_keys(tenant: FromPath[str]) -> dict[str, Any]:
    """The token-signing keys: none, because the simulator's tokens are opaque."""
    return {"keys": []}


@get("/common/discovery/instance", sync_to_thread=False)
def instance_discovery(request: Request) -> dict[str, Any]:
    """MSAL's authority validation, answered for this host (so ``instance_discovery=False`` is optional)."""
    endpoint = request.query_params.get("authorization_endpoint", "")
    tenant = (urlsplit(endpoint).path.strip("/").split("/") or ["common"])[0] or "common"
    base = _base(request)
    host = urlsplit(base).netloc
    return {
        "tenant_discovery_endpoint": f"{base}/{tenant}/v2.0/.well-known/openid-configuration",
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    }


# Token endpoint ---------------------------------------------------------------------------------
def _audience(request: Request, scope: str) -> Audience | None:
    resource = scope[: -len("/.default")].rstrip("/").lower()
    if resource in _GRAPH_IDS:
        return "graph"
    if resource in _EXCHANGE_IDS:
        return "exchange"
    parts, own = urlsplit(resource), urlsplit(_base(request))
    if parts.hostname in _LOOPBACK and parts.port == own.port and parts.scheme == own.scheme:
        return {"/graph": "graph", "/exchange": "exchange"}.get(parts.path)  # type: ignore[return-value]
    return None


def _thumb(hex_digest: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(hex_digest)).decode().rstrip("=")


def _check_assertion(request: Request, state: SimState, tenant: Tenant, segment: str,
                     assertion: str) -> tuple[int, str] | None:
    """None when the client assertion proves the app's identity, else (AADSTS code, description)."""
    app = state.app
    cert, thumbs = app.certificate(), app.thumbprints()
    if cert is None or thumbs is None:
        return 700027, f"The application '{app.client_id}' has no certificate registered to verify client assertions."
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return 700027, "Client assertion is not a well-formed JWT."
    if header.get("alg") not in ("RS256", "PS256"):
        return 700027, f"Client assertion uses an unsupported algorithm '{header.get('alg')}'."
    sha1, sha256 = thumbs
    if (str(header.get("x5t", "")).rstrip("=") != _thumb(sha1)
            and str(header.get("x5t#S256", "")).rstrip("=") != _thumb(sha256)):
        return 700027, ("The certificate with identifier used to sign the client assertion is not registered on "
                        f"application. [Reason - The key was not found., Please visit the Azure Portal, Graph Explorer "
                        f"or directly use MS Graph to see configured keys for app Id '{app.client_id}'.]")
    base = _base(request)
    audiences = {f"{base}/{s}/oauth2/v2.0/token" for s in (segment, tenant.id, tenant.default_domain)}
    try:
        claims = jwt.decode(assertion, cert.public_key(), algorithms=[header["alg"]], audience=list(audiences),
                            options={"require": ["exp", "aud", "iss", "sub"]}, leeway=60)
    except jwt.ExpiredSignatureError:
        return 700024, "Client assertion is not within its valid time range."
    except jwt.InvalidAudienceError:
        return 700027, "Client assertion contains an invalid audience claim: it must be this token endpoint."
    except jwt.PyJWTError:
        return 700027, "Client assertion failed signature validation."
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        return 700027, "Client assertion contains an invalid issuer or subject: both must be the client id."
    return None


def _client_secret(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """(client_id, client_secret) from the form or an HTTP Basic header."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return form.get("client_id"), form.get("client_secret")
        return form.get("client_id") or user, password
    return form.get("client_id"), form.get("client_secret")


@post("/{tenant:str}/oauth2/v2.0/token", status_code=200)
async def token(request: Request, tenant: FromPath[str]) -> Response[Any]:
    """Client-credentials token requests, with a secret or a certificate assertion."""
    state = _state(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    client_id, secret = _client_secret(request, form)
    grant_type = form.get("grant_type")
    for name, value in (("grant_type", grant_type), ("client_id", client_id), ("scope", form.get("scope"))):
        if not value:
            return _error(request, 400, "invalid_request", 900144,
                          f"The request body must contain the following parameter: '{name}'.")
    if grant_type != "client_credentials":
        return _error(request, 400, "unsupported_grant_type", 70003,
                      f"The app requested an unsupported grant type '{grant_type}'.")
    scopes = form["scope"].split()
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        return _error(request, 400, "invalid_scope", 1002012,
                      f"The provided value for scope {form['scope']} is not valid. Client credential flows must have "
                      "a scope value with /.default suffixed to the resource identifier (application ID URI).")
    if tenant.lower() in _MULTI_TENANT:
        return _error(request, 400, "invalid_request", 50059,
                      "No tenant-identifying information found in either the request or implied by any provided "
                      "credentials.")
    found = state.find_tenant(tenant)
    if found is None:
        return _error(request, 400, "invalid_request", 90002, _tenant_not_found(tenant))
    app = state.app
    if client_id != app.client_id or found.consent in ("pending", "revoked"):
        return _error(request, 400, "unauthorized_client", 700016, _app_not_found(str(client_id), found.id))
    if found.consent == "disabled":
        return _error(request, 400, "unauthorized_client", 7000112,
                      f"Application '{app.client_id}'({app.display_name}) is disabled.")
    assertion = form.get("client_assertion")
    if assertion:
        if form.get("client_assertion_type") != _ASSERTION_TYPE:
            return _error(request, 400, "invalid_request", 900144,
                          "The request body must contain the following parameter: 'client_assertion_type'.")
        failure = _check_assertion(request, state, found, tenant, assertion)
        if failure is not None:
            return _error(request, 401, "invalid_client", *failure)
    elif secret:
        if app.secret is None or not secrets.compare_digest(secret, app.secret):
            return _error(request, 401, "invalid_client", 7000215,
                          "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                          f"secret value, not the client secret ID, for a secret added to app '{app.client_id}'.")
    else:
        return _error(request, 400, "invalid_client", 7000216,
                      "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' "
                      "grant type.")
    audience = _audience(request, scopes[0])
    if audience is None:
        resource = scopes[0][: -len("/.default")]
        return _error(request, 400, "invalid_resource", 500011,
                      f"The resource principal named {resource} was not found in the tenant named "
                      f"{found.display_name}. This can happen if the application has not been installed by the "
                      "administrator of the tenant or consented to by any user in the tenant. You might have sent "
                      "your authentication request to the wrong tenant.")
    issued = state.issue_token(found, audience)
    return Response({"token_type": "Bearer", "expires_in": state.token_lifetime_s,
                     "ext_expires_in": state.token_lifetime_s, "access_token": issued.value},
                    headers={"cache-control": "no-store, no-cache"})


# Admin consent ----------------------------------------------------------------------------------
def _page(title: str, body: str, status: int = 200) -> Response[str]:
    document = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title></head>"
                f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>")
    return Response(document, status_code=status, media_type=MediaType.HTML)


def _error_page(code: int, description: str) -> Response[str]:
    text = html.escape(f"AADSTS{code}: {description}")
    return _page("Sorry, but we're having trouble signing you in.", f"<p id=error data-code={code}>{text}</p>", 400)


def _consent_problem(state: SimState, tenant: str, params: dict[str, str]) -> Response[str] | None:
    """The error page for a consent request Entra would refuse, or None when it is acceptable."""
    if tenant.lower() not in _MULTI_TENANT and state.find_tenant(tenant) is None:
        return _error_page(90002, _tenant_not_found(tenant))
    client_id = params.get("client_id", "")
    if client_id != state.app.client_id:
        return _error_page(700016, _app_not_found(client_id, tenant))
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in state.app.redirect_uris:
        return _error_page(50011, f"The redirect URI '{redirect_uri}' specified in the request does not match the "
                                  f"redirect URIs configured for the application '{client_id}'.")
    scope = params.get("scope", "")
    if not scope.strip():
        return _error_page(900144, "The request body must contain the following parameter: 'scope'.")
    if any(not s.endswith("/.default") for s in scope.split()):
        return _error_page(70011, f"The provided request must include a 'scope' input parameter. The provided value "
                                  f"for the input parameter 'scope' ({scope}) is not valid: application permissions "
                                  "need the /.default scope.")
    return None


def _with_query(url: str, params: list[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return urlunsplit(parts._replace(query=urlencode(query)))


@get("/{tenant:str}/v2.0/adminconsent", sync_to_thread=False)
def admin_consent_page(request: Request, tenant: FromPath[str]) -> Response[str]:
    """The page where a simulated Global Administrator accepts or cancels the consent request."""
    state = _state(request)
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    problem = _consent_problem(state, tenant, params)
    if problem is not None:
        return problem
    hidden = "".join(f'<input type=hidden name="{k}" value="{html.escape(params.get(k, ""))}">'
                     for k in ("client_id", "scope", "redirect_uri", "state"))
    if tenant.lower() in _MULTI_TENANT:
        options = "".join(f'<option value="{html.escape(t.id)}">{html.escape(t.display_name)} '
                          f"({html.escape(t.default_domain)})</option>" for t in state.tenants.values())
        picker = f'<label>Signed in as Global Administrator of <select name=tenant>{options}</select></label>'
    else:
        found = state.tenant(tenant)
        picker = (f"<p>Signed in as Global Administrator of {html.escape(found.display_name)} "
                  f"({html.escape(found.default_domain)})</p>")
    permissions = "".join(f"<li>{html.escape(p)}</li>" for p in sorted(state.app.required_permissions))
    body = (f"<p>{html.escape(state.app.display_name)} asks for these application permissions in your "
            f"organisation:</p><ul>{permissions}</ul><form method=post>{hidden}{picker}"
            "<button name=decision value=accept>Accept</button>"
            "<button name=decision value=cancel>Cancel</button></form>")
    return _page("Permissions requested", body)


@post("/{tenant:str}/v2.0/adminconsent", status_code=302)
async def admin_consent_decision(request: Request, tenant: FromPath[str]) -> Response[Any]:
    """The administrator's decision: grant consent and redirect, or redirect with ``access_denied``."""
    state = _state(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    params = {**{k: v for k, v in request.query_params.items() if isinstance(v, str)}, **form}
    problem = _consent_problem(state, tenant, params)
    if problem is not None:
        return problem
    chosen = params.get("tenant", "") if tenant.lower() in _MULTI_TENANT else tenant
    found = state.find_tenant(chosen)
    if found is None:
        return _error_page(90002, _tenant_not_found(chosen))
    extra = [("state", params["state"])] if params.get("state") else []
    if params.get("decision") != "accept":
        denied = [("error", "access_denied"),
                  ("error_description", "AADSTS65004: The resource owner or authorization server denied the request."),
                  ("admin_consent", "True"), *extra]
        return Redirect(_with_query(params["redirect_uri"], denied), status_code=302)
    state.grant_consent(found.id)
    granted = [("admin_consent", "True"), ("tenant", found.id), ("scope", params["scope"]), *extra]
    return Redirect(_with_query(params["redirect_uri"], granted), status_code=302)


#: Route handlers to mount at the server root.
IDENTITY_HANDLERS = [openid_configuration, signing_keys, instance_discovery, token, admin_consent_page,
                     admin_consent_decision]
