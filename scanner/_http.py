"""The HTTP stack under the Graph and Exchange clients: trust, middleware, request counting, auth.

One builder (:func:`build_http_client`) makes the ``httpx.AsyncClient`` both clients send through,
with ``msgraph_core.GraphClientFactory.create_with_custom_middleware`` and this middleware, outermost
first:

1. :class:`_ThrottleRetry`: kiota's ``RetryHandler`` (429/503/504, ``Retry-After`` honoured). Its
   base delay is set to 0 and its backoff replaced by :func:`backoff_delay`, because kiota adds up to
   one second of fixed jitter that would dominate short backoffs (and slow tests).
2. :class:`_ConnectionRetry`: retries dropped connections and timeouts (``httpx.TransportError``),
   which kiota does not. It reads the body inside the retry, so a connection that drops mid-body is
   retried too. Every request we send is a read (GET, a ``$batch`` of GETs, a ``Get-*`` cmdlet), so
   resending is safe.
3. :class:`_Counting`: closest to the wire; one ``stats.requests`` per attempt, ``stats.retries`` for
   every attempt after the first, ``stats.throttled`` per 429; each attempt logged at DEBUG (method,
   host, path, status: no query string, no headers).

:class:`ApiSession` adds what is per tenant and per resource: the bearer token (a 401 gets one fresh
token and one resend), a ``client-request-id``, and the per-tenant concurrency limit. The semaphore is
held around the whole logical request, including the retry handler's sleeps: a throttled tenant
should slow down, not let its other requests through meanwhile.

Decisions:

- Trust is certifi's store plus the optional extra CA file, and ``trust_env=False`` everywhere: this
  machine exports ``SSL_CERT_FILE``/``REQUESTS_CA_BUNDLE``, and the scanner reads no environment.
- An injected ``http`` client only donates its transport (tests pass ``httpx.MockTransport``, the
  simulator an ASGI transport). Each client builds its own middleware stack over it, so one injected
  client can serve the Graph and the Exchange client without stacking middleware twice, and the
  injected transport is left open for its owner to close.
- ``msgraph_core``'s ``AsyncGraphTransport`` runs the middleware only for requests that carry the
  ``kiota_request_options`` extension, so :class:`ApiSession` always sets it.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import logging
import random
import ssl
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import certifi
import httpx
from kiota_http.middleware import AsyncKiotaTransport, BaseMiddleware, RetryHandler
from kiota_http.middleware.options import RetryHandlerOption
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import AsyncGraphTransport

from scanner._budget import RequestBudget
from scanner._errors import MalformedResponse, ServiceError

__all__ = [
    "MAX_RETRIES",
    "MAX_WAIT_S",
    "ApiSession",
    "RequestStats",
    "TokenSource",
    "backoff_delay",
    "build_http_client",
    "parse_retry_after",
    "trust_context",
]

log = logging.getLogger(__name__)

#: The extension key that makes ``AsyncGraphTransport`` run the middleware pipeline.
_REQUEST_OPTIONS_KEY = "kiota_request_options"
#: Our per-request attempt counter (a request extension, so it survives resends of the same object).
_ATTEMPT_KEY = "posture_attempt"
#: The paths one request reads (a ``$batch``'s sub-requests), for the request budget.
_PATHS_KEY = "posture_paths"
#: Statuses Graph uses for throttling and transient unavailability.
RETRYABLE_STATUSES = frozenset({429, 503, 504})
#: kiota's ceiling on retries (``RetryHandlerOption.MAX_MAX_RETRIES``).
MAX_RETRIES = RetryHandlerOption.MAX_MAX_RETRIES
#: A ``Retry-After`` this long (seconds) is not waited out in-process: kiota skips the retry too, and
#: the worker reschedules the scan instead.
MAX_WAIT_S = RetryHandlerOption.MAX_DELAY
#: Longest computed backoff, in seconds.
_MAX_BACKOFF_S = 60.0

_stats_lock = threading.Lock()


@dataclass
class RequestStats:
    """Counters for one scan. MSAL threads and the event loop both add to it, so adds are locked.

    Attributes:
        requests: HTTP requests sent (every attempt, token and discovery requests included).
        retries: requests or ``$batch`` sub-requests sent again (throttling, dropped connections, 401).
        throttled: 429 responses and 429 ``$batch`` sub-responses received.
    """

    requests: int = 0
    retries: int = 0
    throttled: int = 0

    def add(self, *, requests: int = 0, retries: int = 0, throttled: int = 0) -> None:
        """Add to the counters (thread-safe)."""
        with _stats_lock:
            self.requests += requests
            self.retries += retries
            self.throttled += throttled


class TokenSource(Protocol):
    """What the clients need from ``scanner._auth.TokenProvider`` (tests pass a fake)."""

    async def token(
        self, tenant_id: str, resource_url: str, *, stats: RequestStats | None = None, force_refresh: bool = False
    ) -> str: ...


def backoff_delay(attempt: int, backoff_s: float) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, with equal jitter.

    Between half and all of ``backoff_s * 2 ** (attempt - 1)``, capped at 60 seconds.
    """
    ceiling = min(_MAX_BACKOFF_S, backoff_s * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) in seconds from now, or ``None``."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def connection_pool(ca_bundle: str | None = None) -> httpx.AsyncHTTPTransport:
    """A TLS connection pool trusting :func:`trust_context` (``ca_bundle``).

    A worker thread keeps one for all the scans it runs (``scanner.ScanLoop``), so a scan reuses the
    previous scan's connections to Graph and Exchange instead of opening its own. Nothing of a
    tenant's lives in it: tokens and cookies belong to each scan's own client, over HTTP/1.1 a
    connection carries one request at a time, and the TLS peer is the API's host whatever the tenant.
    """
    return httpx.AsyncHTTPTransport(verify=trust_context(ca_bundle), trust_env=False)


@functools.lru_cache(maxsize=8)
def trust_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """An SSL context trusting certifi's CA store plus the CA certificates in ``ca_bundle``.

    Cached per path: loading the store costs tens of milliseconds and the context is thread-safe.

    Raises:
        ValueError: the extra CA file cannot be read or holds no certificate.
    """
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"The CA bundle {ca_bundle!r} could not be loaded: {exc}") from exc
    return context


# -- middleware --------------------------------------------------------------------------------


def _where(request: httpx.Request) -> str:
    return f"{request.method} {request.url.host}{request.url.path}"


class _ThrottleRetry(RetryHandler):
    def __init__(self, max_retries: int, backoff_s: float) -> None:
        super().__init__(RetryHandlerOption(delay=0.0, max_retries=max_retries))
        self.backoff_factor = backoff_s

    def _get_delay_time_exp_backoff(self, retry_count: int, delay: float) -> float:
        return delay + backoff_delay(retry_count + 1, self.backoff_factor)


class _ConnectionRetry(BaseMiddleware):
    _RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError)

    def __init__(self, max_retries: int, backoff_s: float) -> None:
        super().__init__()
        self._max_retries = max_retries
        self._backoff_s = backoff_s

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await super().send(request, transport)
            except self._RETRYABLE as exc:
                error: Exception = exc
            else:
                try:
                    await response.aread()
                    return response
                except self._RETRYABLE as exc:
                    await response.aclose()
                    error = exc
            attempt += 1
            if attempt > self._max_retries:
                raise error
            delay = backoff_delay(attempt, self._backoff_s)
            log.warning("connection failed, retrying: %s error=%s retry=%d delay_s=%.2f",
                        _where(request), type(error).__name__, attempt, delay)
            await asyncio.sleep(delay)


class _Counting(BaseMiddleware):
    def __init__(self, stats: RequestStats, spend: Callable[[httpx.Request], Awaitable[None]] | None) -> None:
        super().__init__()
        self._stats = stats
        self._spend = spend

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        attempt = int(request.extensions.get(_ATTEMPT_KEY, 0)) + 1
        request.extensions[_ATTEMPT_KEY] = attempt
        if self._spend is not None:
            await self._spend(request)  # every attempt counts against Microsoft's limits, retries too
        self._stats.add(requests=1, retries=1 if attempt > 1 else 0)
        started = time.perf_counter()
        try:
            response = await super().send(request, transport)
        except httpx.TransportError as exc:
            log.debug("http %s failed: %s attempt=%d", _where(request), type(exc).__name__, attempt)
            raise
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug("http %s status=%d attempt=%d elapsed_ms=%.0f",
                  _where(request), response.status_code, attempt, elapsed_ms)
        if response.status_code == 429:
            self._stats.add(throttled=1)
        if response.status_code in RETRYABLE_STATUSES:
            log.warning("throttled or unavailable: %s status=%d retry_after=%s attempt=%d",
                        _where(request), response.status_code, response.headers.get("retry-after"), attempt)
        return response


@dataclass
class _Stack:
    client: httpx.AsyncClient
    owned_transport: httpx.AsyncBaseTransport | None

    async def aclose(self) -> None:
        await self.client.aclose()
        # AsyncGraphTransport does not forward aclose() to the transport it wraps.
        if self.owned_transport is not None:
            await self.owned_transport.aclose()


def build_http_client(
    *,
    stats: RequestStats,
    http: httpx.AsyncClient | None,
    ca_bundle: str | None,
    timeout_s: float,
    max_retries: int,
    backoff_s: float,
    spend: Callable[[httpx.Request], Awaitable[None]] | None = None,
    pool: httpx.AsyncBaseTransport | None = None,
) -> _Stack:
    """The middleware stack over the transport of ``http``, else over ``pool`` (a connection pool the
    caller shares between scans and closes), else over a fresh TLS transport of its own; ``spend``
    takes each attempt's units from a request budget just before it goes on the wire."""
    if not 0 <= max_retries <= MAX_RETRIES:
        raise ValueError(f"max_retries must be between 0 and {MAX_RETRIES}, not {max_retries}")
    if backoff_s < 0:
        raise ValueError(f"backoff_s must not be negative, not {backoff_s}")
    owned: httpx.AsyncBaseTransport | None
    transport: httpx.AsyncBaseTransport
    if http is None and pool is not None:
        owned, transport = None, pool
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
    elif http is None:
        owned = transport = connection_pool(ca_bundle)
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
    else:
        owned = None
        transport = http._transport  # the injected client's own transport (tests: MockTransport)
        while isinstance(transport, AsyncGraphTransport | AsyncKiotaTransport):
            transport = transport.transport
        timeout = http.timeout
    client = httpx.AsyncClient(transport=transport, timeout=timeout, trust_env=False, follow_redirects=False)
    middleware: list[BaseMiddleware] = [
        _ThrottleRetry(max_retries, backoff_s),
        _ConnectionRetry(max_retries, backoff_s),
        _Counting(stats, spend),
    ]
    return _Stack(GraphClientFactory.create_with_custom_middleware(middleware, client=client), owned)


# -- the authorised session --------------------------------------------------------------------


def _paths(url: str, body: Any) -> list[str]:
    # Microsoft counts each request of a $batch on its own (learn.microsoft.com/graph/json-batching).
    requests = body.get("requests") if isinstance(body, dict) else None
    if isinstance(requests, list) and requests:
        return [str(r.get("url", "")) for r in requests if isinstance(r, dict)]
    return [url]


class ApiSession:
    """One tenant's authorised, concurrency-limited session with one API (Graph or Exchange).

    Args:
        tenant_id: the customer tenant.
        tokens: where bearer tokens come from.
        resource_url: the API's base URL; the token scope is ``{resource_url}/.default``.
        stats: counters for the scan.
        default_headers: sent on every request (for example ``x-ms-throttle-priority``).
    """

    def __init__(
        self,
        tenant_id: str,
        tokens: TokenSource,
        resource_url: str,
        *,
        stats: RequestStats,
        http: httpx.AsyncClient | None,
        ca_bundle: str | None,
        max_concurrency: int,
        max_retries: int,
        backoff_s: float,
        timeout_s: float,
        default_headers: Mapping[str, str] | None = None,
        request_budget: RequestBudget | None = None,
        service: str = "graph",
        pool: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
        self.tenant_id = tenant_id
        self.stats = stats
        self._tokens = tokens
        self._resource_url = resource_url
        self._limit = asyncio.Semaphore(max_concurrency)
        self._default_headers = dict(default_headers or {})
        spend = None
        if request_budget is not None:
            budget = request_budget

            async def spend(request: httpx.Request) -> None:
                await budget.spend(service, tenant_id, request.extensions.get(_PATHS_KEY) or [request.url.path])

        self._stack = build_http_client(stats=stats, http=http, ca_bundle=ca_bundle, timeout_s=timeout_s,
                                        max_retries=max_retries, backoff_s=backoff_s, spend=spend, pool=pool)

    async def token(self, *, force_refresh: bool = False) -> str:
        """A bearer token for this tenant and API (``AuthError`` subclasses propagate)."""
        return await self._tokens.token(self.tenant_id, self._resource_url, stats=self.stats,
                                        force_refresh=force_refresh)

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        refresh_on_401: bool = True,
    ) -> httpx.Response:
        """Send one request (retries included); on 401, get a fresh token and resend once
        (unless ``refresh_on_401`` is false: the caller already refreshed for this request).

        Returns the final response whatever its status, with the body read.

        Raises:
            AuthError: no token could be obtained.
            ServiceError: the connection kept failing after the retries.
            MalformedResponse: the URL is invalid or the body could not be decoded.
        """
        response = await self._send_once(method, url, await self.token(), headers, json)
        if response.status_code == 401 and refresh_on_401:
            log.info("token rejected, fetching a fresh one: tenant=%s %s", self.tenant_id, method)
            self.stats.add(retries=1)
            response = await self._send_once(method, url, await self.token(force_refresh=True), headers, json)
        return response

    async def _send_once(
        self, method: str, url: str, token: str, headers: Mapping[str, str] | None, json: Any
    ) -> httpx.Response:
        request_id = str(uuid.uuid4())
        all_headers = {
            "Accept": "application/json",
            "client-request-id": request_id,
            **self._default_headers,
            **(headers or {}),
            "Authorization": f"Bearer {token}",
        }
        client = self._stack.client
        try:
            request = client.build_request(method, url, headers=all_headers, json=json,
                                           extensions={_REQUEST_OPTIONS_KEY: {}, _PATHS_KEY: _paths(url, json)})
        except httpx.InvalidURL as exc:
            raise MalformedResponse(None, "invalid_url", f"Cannot request {url!r} for tenant {self.tenant_id}: "
                                    f"{exc}.", url, tenant_id=self.tenant_id) from exc
        async with self._limit:
            try:
                return await client.send(request)
            except httpx.TransportError as exc:
                raise ServiceError(
                    None, type(exc).__name__,
                    f"{method} {request.url.host}{request.url.path} for tenant {self.tenant_id} failed after "
                    f"retries: {type(exc).__name__} (client-request-id {request_id}). Check connectivity to "
                    "the endpoint and scan again.",
                    url, tenant_id=self.tenant_id,
                ) from exc
            except httpx.DecodingError as exc:
                raise MalformedResponse(
                    None, "decoding_error",
                    f"{method} {request.url.host}{request.url.path} for tenant {self.tenant_id} returned a body "
                    f"that could not be decoded (client-request-id {request_id}).",
                    url, tenant_id=self.tenant_id,
                ) from exc

    async def aclose(self) -> None:
        """Close the connection pool this session owns (an injected transport stays open)."""
        await self._stack.aclose()
