"""App-only access tokens for customer tenants, through MSAL, with token errors classified.

One ``msal.ConfidentialClientApplication`` per tenant: MSAL Python fixes the tenant when the app object
is built (there is no per-request tenant), and the app object holds the in-memory token cache, so it is
kept in an LRU and reused. MSAL is synchronous; its calls run in a worker thread
(``asyncio.to_thread``), serialised per tenant by a thread lock so that concurrent requests at the start
of a scan cause one token request, not one each.

A token MSAL handed out is kept beside its app too, and reused without that thread hop until MSAL
itself would stop reusing it (five minutes before it expires, or at the token response's
``refresh_in``, which MSAL returns as ``refresh_on``): a scan sends every request with a token, and
the hop (a thread, a future, a wake-up of the event loop) cost a few per cent of a small tenant's
scanning CPU (issue 14). ``force_refresh`` skips it and replaces it.

Decisions:

- Endpoints are arguments (``Endpoints``): the same code path serves Microsoft, national clouds and the
  simulator. For an authority host Microsoft does not know, MSAL is built with
  ``instance_discovery=False`` so it never asks ``login.microsoftonline.com`` to validate it, and always
  with ``azure_region=False`` so that ``MSAL_FORCE_REGION`` in the environment cannot redirect it.
- MSAL sends through our ``requests.Session``: ``trust_env=False`` (this machine exports
  ``REQUESTS_CA_BUNDLE``, which would override ``verify``) and an adapter whose SSL context trusts
  certifi's store plus the optional extra CA file (``scanner._http.trust_context``). The session counts
  every request MSAL sends (discovery and token) into the ``RequestStats`` of the calling scan, found in
  a thread-local set around the MSAL call, and keeps the status and error body of the last response for
  classification (never a success body: it holds the token).
- Token errors are classified by the OAuth ``error`` field and the HTTP status; AADSTS numbers are only
  a hint (Microsoft: "apps that take a dependency on text or error code numbers will be broken over
  time"). See :func:`classify_token_error`. A 4xx from OIDC discovery means the authority does not know
  the tenant: :class:`TenantNotFound`. MSAL caches 400 and 429/5xx token responses briefly and answers
  repeats from that cache without a request; classification then rests on the body alone.
- ``force_refresh``: ``acquire_token_for_client`` refuses it, so the cached access token for the scope
  is removed from the app's cache first. Callers use it once, after a 401.
- Transient failures (connection, 429, 5xx, ``temporarily_unavailable``) are retried twice, after
  ``Retry-After`` when given (a longer one than 10 s is not waited out) or a short backoff, then raise
  :class:`TransientAuthError` for the caller to reschedule. MSAL answers a repeat of a 429/5xx token
  request from its throttle cache until ``Retry-After`` (5 s without one) has passed, so a retry inside
  that window costs no request; discovery failures are not cached and are retried for real.
- Certificates (read and checked in ``scanner._credentials``) go to MSAL as the private key and the
  SHA-1 thumbprint; the certificate is not sent as ``x5c`` (only subject-name/issuer authentication
  needs it). Secrets, keys, assertions and tokens never appear in a ``repr``, a log line or an error.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

import msal
import requests
import requests.adapters
from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS
from msal.exceptions import MsalServiceError

from scanner._credentials import AppCredentials, Endpoints
from scanner._errors import (
    AuthError,
    ConsentMissing,
    CredentialInvalid,
    TenantNotFound,
    TransientAuthError,
)
from scanner._http import RequestStats, backoff_delay, parse_retry_after, trust_context

__all__ = ["AppCredentials", "Endpoints", "TokenProvider", "classify_token_error"]

log = logging.getLogger(__name__)

#: AADSTS numbers that hint at a missing or revoked consent, or a disabled app.
_CONSENT_CODES = frozenset({700016, 7000112, 65001})
#: AADSTS numbers that hint at a transient identity-service problem.
_TRANSIENT_CODES = frozenset({50033, 90033, 90006})
_TENANT_CODES = frozenset({90002})
_NOT_A_TENANT = frozenset({"", "common", "organizations", "consumers"})
#: Retries of a token request that failed transiently (connection, 429, 5xx).
_TRANSIENT_RETRIES = 2
#: A longer ``Retry-After`` from the identity service is not waited out here: the scan is rescheduled.
_MAX_TOKEN_WAIT_S = 10.0


# -- classification ----------------------------------------------------------------------------


def classify_token_error(
    tenant_id: str,
    *,
    status: int | None,
    error: str | None,
    error_codes: tuple[int, ...] | list[int] = (),
    description: str | None = None,
) -> AuthError:
    """The scanner error for a failed token (or discovery) response.

    Keyed on the OAuth ``error`` and the HTTP status; ``error_codes`` (AADSTS numbers) only as a hint.

    Args:
        tenant_id: the tenant the token was for.
        status: the HTTP status, or ``None`` when MSAL answered from its own cache.
        error: the OAuth ``error`` field.
        error_codes: the ``error_codes`` array.
        description: ``error_description`` (kept in the message, trimmed).
    """
    codes = tuple(c for c in error_codes if isinstance(c, int))
    text = " ".join((description or "").split())
    text = text[:297] + "..." if len(text) > 300 else text
    said = ", ".join(filter(None, [str(status) if status else "", error or "",
                                   ", ".join(f"AADSTS{c}" for c in codes)]))
    detail = f" ({said})" + (f": {text}" if text else "")
    fields: dict[str, Any] = {"tenant_id": tenant_id, "error": error, "error_codes": codes, "status": status}
    hint = set(codes)
    if status == 429 or (status is not None and status >= 500) or error == "temporarily_unavailable" \
            or hint & _TRANSIENT_CODES:
        return TransientAuthError(f"The identity service could not issue a token for tenant {tenant_id} right "
                                  f"now{detail}. Try again later; nothing about the tenant changed.", **fields)
    if error == "invalid_client" and not (status == 400 and hint & _CONSENT_CODES):
        return CredentialInvalid(f"The service's own app credential was rejected for tenant {tenant_id}{detail}. "
                                 "This affects every tenant: check that the client secret or certificate is "
                                 "current and registered on the app.", **fields)
    if error == "invalid_tenant" or hint & _TENANT_CODES or (
            error == "invalid_request" and "tenant" in text.lower() and tenant_id.lower() in text.lower()):
        return TenantNotFound(f"The identity service does not know tenant {tenant_id}{detail}. Check the tenant "
                              "id; the tenant may have been deleted.", **fields)
    if error in ("unauthorized_client", "invalid_client") or hint & _CONSENT_CODES:
        return ConsentMissing(f"Tenant {tenant_id} has not consented to the app, or removed or disabled it"
                              f"{detail}. Send the admin-consent link to the customer's Global Administrator "
                              "again.", **fields)
    return AuthError(f"No token could be obtained for tenant {tenant_id}{detail}.", **fields)


# -- MSAL's HTTP session -----------------------------------------------------------------------


class _CallState:
    """What the session saw during one MSAL call (in that call's thread)."""

    def __init__(self, stats: RequestStats | None) -> None:
        self.stats = stats
        self.status: int | None = None
        self.error_body: Any = None
        self.retry_after_s: float | None = None


_current = threading.local()


class _TrustAdapter(requests.adapters.HTTPAdapter):
    """Verifies HTTPS with our SSL context (certifi plus the extra CA), whatever the environment says."""

    def __init__(self, context: Any) -> None:
        self._context = context
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if verify is not False and host_params.get("scheme") == "https":
            pool_kwargs["ssl_context"] = self._context
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if verify is not False and url.lower().startswith("https"):
            conn.ca_certs = None  # the context already holds the trust store; don't reload a file into it
            conn.ca_cert_dir = None


class _MsalSession(requests.Session):
    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.trust_env = False
        self._timeout_s = timeout_s

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout_s)
        state: _CallState | None = getattr(_current, "state", None)
        if state is not None and state.stats is not None:
            state.stats.add(requests=1)
        where = requests.utils.urlparse(url)
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            log.debug("identity %s %s%s failed: %s", method, where.netloc, where.path, type(exc).__name__)
            raise
        log.debug("identity %s %s%s status=%d", method, where.netloc, where.path, response.status_code)
        if state is not None:
            state.status = response.status_code
            state.error_body = None
            state.retry_after_s = parse_retry_after(response.headers.get("Retry-After"))
            if response.status_code >= 400:
                try:
                    state.error_body = response.json()
                except ValueError:
                    state.error_body = None
        return response


# -- the provider ------------------------------------------------------------------------------


#: MSAL refreshes a cached access token this long before it expires; the fast path stops reusing it then too.
_REFRESH_MARGIN_S = 300


class _Tenant:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.app: msal.ConfidentialClientApplication | None = None
        #: scope -> (access token, time.monotonic() until which it is reused without asking MSAL).
        self.reusable: dict[str, tuple[str, float]] = {}

    def reusable_token(self, scope: str) -> str | None:
        found = self.reusable.get(scope)
        return found[0] if found is not None and time.monotonic() < found[1] else None

    def keep(self, scope: str, result: dict[str, Any]) -> None:
        lifetime = _seconds(result.get("expires_in"))
        if lifetime is None:
            return
        until = lifetime - _REFRESH_MARGIN_S
        refresh_on = _seconds(result.get("refresh_on"))  # MSAL's form of the token response's refresh_in
        if refresh_on is not None:
            until = min(until, refresh_on - time.time())
        if until > 0:
            self.reusable[scope] = (str(result["access_token"]), time.monotonic() + until)


def _seconds(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class _NetworkFailure(Exception):
    pass


class TokenProvider:
    """App-only access tokens for any customer tenant, one cached MSAL app per tenant.

    Args:
        credentials: the service's app identity.
        endpoints: where the identity service is (``authority_host``).
        ca_bundle: a PEM file of extra CA certificates to trust (the simulator's CA).
        max_tenants: MSAL app objects kept (least recently used ones are dropped with their cache).
        timeout_s: per identity request, in seconds.
        adapter: a ``requests`` transport adapter to send through instead of the network (tests).
        backoff_s: base delay, in seconds, before retrying a failed connection.
    """

    def __init__(
        self,
        credentials: AppCredentials,
        endpoints: Endpoints,
        ca_bundle: str | None = None,
        max_tenants: int = 256,
        timeout_s: float = 30.0,
        *,
        adapter: requests.adapters.BaseAdapter | None = None,
        backoff_s: float = 0.5,
    ) -> None:
        if max_tenants < 1:
            raise ValueError(f"max_tenants must be at least 1, not {max_tenants}")
        self._credentials = credentials
        self._authority_host = endpoints.authority_host
        host = requests.utils.urlparse(endpoints.authority_host).hostname or ""
        self._instance_discovery: bool | None = None if host in WELL_KNOWN_AUTHORITY_HOSTS else False
        self._max_tenants = max_tenants
        self._backoff_s = backoff_s
        self._session = _MsalSession(timeout_s)
        transport = adapter if adapter is not None else _TrustAdapter(trust_context(ca_bundle))
        self._session.mount("https://", transport)
        self._session.mount("http://", transport)
        self._tenants: OrderedDict[str, _Tenant] = OrderedDict()
        self._tenants_lock = threading.Lock()

    async def token(
        self, tenant_id: str, resource_url: str, *, stats: RequestStats | None = None, force_refresh: bool = False
    ) -> str:
        """An access token for ``{resource_url}/.default`` in ``tenant_id`` (from MSAL's cache when valid).

        Args:
            tenant_id: the customer tenant's id (a GUID or a verified domain; never ``common``).
            resource_url: the API's base URL (``https://graph.microsoft.com``).
            stats: counters to add the identity requests to.
            force_refresh: ignore the cached token (after the API answered 401).

        Raises:
            ConsentMissing, TenantNotFound, CredentialInvalid, TransientAuthError, AuthError.
        """
        if tenant_id.strip().lower() in _NOT_A_TENANT or "/" in tenant_id:
            raise ValueError(f"A specific tenant id is required for app-only tokens, not {tenant_id!r}")
        scope = f"{resource_url.rstrip('/')}/.default"
        if not force_refresh:
            reusable = self._tenant(tenant_id).reusable_token(scope)
            if reusable is not None:
                return reusable
        return await asyncio.to_thread(self._token_blocking, tenant_id, scope, stats, force_refresh)

    def close(self) -> None:
        """Close MSAL's connection pool."""
        self._session.close()

    def _tenant(self, tenant_id: str) -> _Tenant:
        with self._tenants_lock:
            entry = self._tenants.get(tenant_id)
            if entry is None:
                entry = self._tenants[tenant_id] = _Tenant()
            self._tenants.move_to_end(tenant_id)
            while len(self._tenants) > self._max_tenants:
                self._tenants.popitem(last=False)
            return entry

    def _token_blocking(self, tenant_id: str, scope: str, stats: RequestStats | None, force_refresh: bool) -> str:
        entry = self._tenant(tenant_id)
        attempt = 0
        while True:
            try:
                with entry.lock:
                    return self._acquire(entry, tenant_id, scope, stats, force_refresh)
            except (_NetworkFailure, TransientAuthError) as exc:
                failure = exc
            attempt += 1
            wait = failure.retry_after_s if isinstance(failure, TransientAuthError) else None
            if attempt > _TRANSIENT_RETRIES or (wait is not None and wait > _MAX_TOKEN_WAIT_S):
                if isinstance(failure, _NetworkFailure):
                    cause = failure.__cause__
                    raise TransientAuthError(
                        f"The identity service at {self._authority_host} could not be reached for tenant "
                        f"{tenant_id} ({type(cause).__name__}). Try again later.", tenant_id=tenant_id) from cause
                raise failure
            if stats is not None:
                stats.add(retries=1)
            delay = max(backoff_delay(attempt, self._backoff_s), wait or 0.0)
            what = type(failure.__cause__).__name__ if isinstance(failure, _NetworkFailure) else failure.status
            log.warning("identity request failed, retrying: tenant=%s error=%s retry=%d delay_s=%.2f",
                        tenant_id, what, attempt, delay)
            time.sleep(delay)

    def _acquire(
        self, entry: _Tenant, tenant_id: str, scope: str, stats: RequestStats | None, force_refresh: bool
    ) -> str:
        state = _CallState(stats)
        try:
            return self._acquire_with(state, entry, tenant_id, scope, force_refresh)
        except TransientAuthError as exc:
            if exc.retry_after_s is None:
                exc.retry_after_s = state.retry_after_s
            raise

    def _acquire_with(self, state: _CallState, entry: _Tenant, tenant_id: str, scope: str, force_refresh: bool) -> str:
        _current.state = state
        try:
            if entry.app is None:
                entry.app = self._build_app(tenant_id, state)
            if force_refresh:
                entry.reusable.pop(scope, None)
                cache = entry.app.token_cache
                for item in list(cache.search(cache.CredentialType.ACCESS_TOKEN, target=[scope])):
                    cache.remove_at(item)
            try:
                result = entry.app.acquire_token_for_client(scopes=[scope])
            except requests.exceptions.SSLError as exc:
                raise self._tls_error(tenant_id, exc) from exc
            except requests.RequestException as exc:
                raise _NetworkFailure() from exc
            except MsalServiceError as exc:  # MSAL raises it for a 5xx token response
                raise classify_token_error(tenant_id, status=state.status or 500, error=None) from exc
            except ValueError as exc:  # a token response that is not JSON
                raise classify_token_error(tenant_id, status=state.status, error="invalid_response") from exc
        finally:
            _current.state = None
        if "access_token" in result:
            log.debug("token ready: tenant=%s scope=%s", tenant_id, scope)
            entry.keep(scope, result)
            return str(result["access_token"])
        error = classify_token_error(tenant_id, status=state.status, error=result.get("error"),
                                     error_codes=result.get("error_codes") or (),
                                     description=result.get("error_description"))
        log.warning("token request failed: tenant=%s reason=%s status=%s", tenant_id, error.reason, state.status)
        raise error

    def _build_app(self, tenant_id: str, state: _CallState) -> msal.ConfidentialClientApplication:
        """Build the tenant's MSAL app; MSAL fetches the tenant's OIDC metadata here."""
        try:
            return msal.ConfidentialClientApplication(
                self._credentials.client_id,
                client_credential=self._credentials._msal_credential(),
                authority=f"{self._authority_host}/{tenant_id}",
                http_client=self._session,
                instance_discovery=self._instance_discovery,
                azure_region=False,
            )
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(tenant_id, exc) from exc
        except requests.RequestException as exc:
            raise _NetworkFailure() from exc
        except MsalServiceError as exc:  # a 5xx from discovery
            raise classify_token_error(tenant_id, status=state.status or 500, error=None) from exc
        except (ValueError, RuntimeError) as exc:
            status = state.status
            body = state.error_body if isinstance(state.error_body, dict) else {}
            if status is not None and 400 <= status < 500:
                found = classify_token_error(tenant_id, status=status, error=body.get("error"),
                                             error_codes=body.get("error_codes") or (),
                                             description=body.get("error_description"))
                if type(found) is AuthError:  # discovery 4xx: the authority does not know the tenant
                    found = TenantNotFound(f"The identity service does not know tenant {tenant_id} (discovery "
                                           f"returned {status}). Check the tenant id; the tenant may have been "
                                           "deleted.", tenant_id=tenant_id, status=status)
                raise found from exc
            raise classify_token_error(tenant_id, status=status, error="discovery_failed",
                                       description="the tenant's OpenID configuration could not be read") from exc

    def _tls_error(self, tenant_id: str, exc: Exception) -> AuthError:
        return AuthError(f"The TLS certificate of {self._authority_host} is not trusted (tenant {tenant_id}). For a "
                         "private or simulated identity service, configure its CA bundle.",
                         tenant_id=tenant_id, error="tls")
