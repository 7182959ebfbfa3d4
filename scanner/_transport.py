"""The Graph client: every read of a scan, in rounds of JSON batches, paged to the end.

Collectors hand :meth:`GraphClient.fetch_many` a mapping of keys to :class:`GraphRequest` and get a
mapping of the same keys to raw JSON (a list for collections, a dict for entities) or to the
:class:`~scanner._errors.ScannerError` that stopped that one request. Nothing above this module loops
over ``@odata.nextLink``, parses Graph errors, or sees an httpx exception.

How a fetch runs:

- Round 1 sends every first request, up to ``batch_size`` (20, Graph's limit) per
  ``POST /v1.0/$batch``; each later round sends every pending ``@odata.nextLink`` of every collection
  together, so pages of different collections share batches. Sub-requests are numbered within their
  batch, so any key is allowed.
- A batch of one is sent as a plain GET (same request count, fewer bytes). A nextLink outside
  ``{graph_url}/v1.0`` on the same host is fetched as a plain GET, unchanged; one on another host is
  not followed (the bearer token would go with it) and gives :class:`MalformedResponse`.
- Only the sub-requests that failed with 429/503/504 are sent again, in the next round, after the
  largest ``Retry-After`` among them (backoff with jitter when none is given, or it is 0), at most
  ``max_retries`` times per page. A 401 sub-response gets one fresh token and one resend. A whole
  request (batch or plain GET) that is throttled was already retried by the middleware
  (``scanner._http``), so its final status is final.
- Paths and links are normalised through ``httpx.URL`` so a plain GET and a batch sub-request carry
  the same percent-encoded path.

Token errors (:class:`~scanner._errors.AuthError`) propagate out of :meth:`fetch_many`: without a
token, no request of the scan can succeed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from scanner._budget import RequestBudget
from scanner._decode import MALFORMED, decode_lenient, is_clean
from scanner._errors import AuthError, MalformedResponse, ScannerError
from scanner._http import (
    MAX_WAIT_S,
    RETRYABLE_STATUSES,
    ApiSession,
    RequestStats,
    TokenSource,
    backoff_delay,
)
from scanner._limits import MAX_BYTES, MAX_PAGES, PageBudget
from scanner._responses import Reply, error_for, list_page, malformed, object_body, retry_after_s

__all__ = ["GraphClient", "GraphRequest", "RequestStats"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GraphRequest:
    """One Graph v1.0 GET.

    Attributes:
        path: relative to ``{graph_url}/v1.0``, with its query string (``/users?$top=999``).
        kind: ``"list"``: an OData collection, paged to the end, the value arrays concatenated;
            ``"object"``: one entity, returned as its JSON object.
        headers: extra request headers (``Prefer: include-unknown-enum-members``).
        permissions: the application permissions the request needs; they name the fix in an
            :class:`~scanner._errors.InsufficientPermission` (``insufficient_permission:Policy.Read.All``).
        share: requests of one ``fetch_many`` with the same share spend one page and byte cap between
            them (the partitions of one list are one collection to ``scanner._limits``).
    """

    path: str
    kind: Literal["list", "object"] = "list"
    headers: Mapping[str, str] = field(default_factory=dict)
    permissions: tuple[str, ...] = ()
    share: str | None = None


@dataclass
class _Job:
    key: str
    request: GraphRequest
    target: str  # path relative to /v1.0 (batchable), or an absolute URL (plain GET only)
    items: list[Any] = field(default_factory=list)
    budget: PageBudget = field(default_factory=PageBudget)
    throttled: int = 0  # retries spent on the current page
    auth_retried: bool = False

    @property
    def batchable(self) -> bool:
        return self.target.startswith("/")


@dataclass
class _Outcome:
    job: _Job
    reply: Reply | ScannerError
    final: bool  # True: a whole response, already retried by the middleware


class GraphClient:
    """Reads Microsoft Graph v1.0 for one tenant.

    Args:
        tenant_id: the customer tenant.
        tokens: the token provider (``scanner._auth.TokenProvider``).
        graph_url: Graph's base URL without version (``https://graph.microsoft.com``).
        stats: counters for the scan (a new one when omitted; see :attr:`stats`).
        http: an httpx client whose transport to send through (tests); default: a TLS pool of our own.
        ca_bundle: a PEM file of extra CA certificates to trust (the simulator's CA).
        max_concurrency: requests in flight at once for this tenant.
        max_retries: retries per request for throttling and for dropped connections (0 to 10).
        backoff_s: base of the exponential backoff, in seconds.
        batch_size: sub-requests per ``$batch`` (Graph allows 20).
        timeout_s: per-request timeout, in seconds.
        throttle_priority: sent as ``x-ms-throttle-priority`` (a background scan is ``Low``), or ``None``.
        max_pages, max_bytes: caps per collection (``scanner._limits``); past one, that collection is a
            ``PagingLimit`` error.
        request_budget: the budget each attempt takes its units from (``scanner._budget``), or ``None``.
        pool: a connection pool shared with other scans (``scanner.connection_pool``), left open by
            :meth:`aclose`; default: a TLS pool of our own, closed by it.
    """

    def __init__(
        self,
        tenant_id: str,
        tokens: TokenSource,
        graph_url: str,
        *,
        stats: RequestStats | None = None,
        http: httpx.AsyncClient | None = None,
        ca_bundle: str | None = None,
        max_concurrency: int = 4,
        max_retries: int = 5,
        backoff_s: float = 0.5,
        batch_size: int = 20,
        timeout_s: float = 30.0,
        throttle_priority: str | None = "Low",
        max_pages: int = MAX_PAGES,
        max_bytes: int = MAX_BYTES,
        request_budget: RequestBudget | None = None,
        pool: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not 1 <= batch_size <= 20:
            raise ValueError(f"batch_size must be between 1 and 20 (Graph's limit), not {batch_size}")
        self.tenant_id = tenant_id
        self.stats = stats if stats is not None else RequestStats()
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._batch_size = batch_size
        self._max_pages = max_pages
        self._max_bytes = max_bytes
        self._base = httpx.URL(graph_url.rstrip("/") + "/v1.0")
        self._base_str = str(self._base).rstrip("/")
        self._base_path = self._base.raw_path.decode("ascii").rstrip("/")
        headers = {"x-ms-throttle-priority": throttle_priority} if throttle_priority else {}
        self._session = ApiSession(
            tenant_id, tokens, graph_url.rstrip("/"), stats=self.stats, http=http, ca_bundle=ca_bundle,
            max_concurrency=max_concurrency, max_retries=max_retries, backoff_s=backoff_s, timeout_s=timeout_s,
            default_headers=headers, request_budget=request_budget, service="graph", pool=pool,
        )

    async def __aenter__(self) -> GraphClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (an injected ``http`` client's transport stays open)."""
        await self._session.aclose()

    async def get_all(self, path: str, headers: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink``. Raises the request's error."""
        result = (await self.fetch_many({"get": GraphRequest(path, "list", dict(headers or {}))}))["get"]
        if isinstance(result, ScannerError):
            raise result
        return result

    async def get_object(self, path: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One entity's JSON object (without ``@odata.context``). Raises the request's error."""
        result = (await self.fetch_many({"get": GraphRequest(path, "object", dict(headers or {}))}))["get"]
        if isinstance(result, ScannerError):
            raise result
        return result

    async def fetch_many(self, requests: Mapping[str, GraphRequest]) -> dict[str, Any | ScannerError]:
        """Fetch every request (paged to the end), batching them; one failure never stops the others.

        Returns:
            For each key: the concatenated ``value`` arrays (``"list"``), the JSON object
            (``"object"``), or the :class:`~scanner._errors.ScannerError` that stopped that request.

        Raises:
            AuthError: no token could be obtained for the tenant.
        """
        results: dict[str, Any | ScannerError] = {}
        jobs: list[_Job] = []
        shared: dict[str, PageBudget] = {}
        for key, request in requests.items():
            budget = PageBudget(self._max_pages, self._max_bytes)
            if request.share is not None:
                budget = shared.setdefault(request.share, budget)
            try:
                jobs.append(_Job(key, request, self._initial_target(request.path), budget=budget))
            except MalformedResponse as exc:
                results[key] = exc
        delay_s = 0.0
        while jobs:
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            outcomes = await self._send_round(jobs)
            jobs, delay_s, refresh = self._settle(outcomes, results)
            if refresh:
                await self._session.token(force_refresh=True)
        return {key: results[key] for key in requests}

    # -- a round ---------------------------------------------------------------------------

    async def _send_round(self, jobs: list[_Job]) -> list[_Outcome]:
        batchable = [j for j in jobs if j.batchable]
        groups: list[list[_Job]] = [batchable[i:i + self._batch_size]
                                    for i in range(0, len(batchable), self._batch_size)]
        groups += [[j] for j in jobs if not j.batchable]
        sent = await asyncio.gather(
            *(self._get(g[0]) if len(g) == 1 else self._batch(g) for g in groups), return_exceptions=True
        )
        outcomes: list[_Outcome] = []
        auth_error: AuthError | None = None
        for group, result in zip(groups, sent, strict=True):
            if isinstance(result, AuthError):
                auth_error = auth_error or result
            elif isinstance(result, ScannerError):
                outcomes += [_Outcome(job, result, True) for job in group]
            elif isinstance(result, BaseException):
                raise result
            else:
                outcomes += result
        if auth_error is not None:
            raise auth_error
        return outcomes

    async def _get(self, job: _Job) -> list[_Outcome]:
        response = await self._session.send("GET", self._absolute(job.target), headers=job.request.headers,
                                            refresh_on_401=not job.auth_retried)
        return [_Outcome(job, Reply.from_response(response), True)]

    async def _batch(self, group: Sequence[_Job]) -> list[_Outcome]:
        body = {"requests": [
            {"id": str(n), "method": "GET", "url": job.target,
             **({"headers": dict(job.request.headers)} if job.request.headers else {})}
            for n, job in enumerate(group, start=1)
        ]}
        response = await self._session.send("POST", f"{self._base_str}/$batch", json=body)
        whole = Reply.from_response(response)
        # A batch decoded strictly holds no NaN or NUL anywhere: its sub-responses need no judging.
        judge_each = whole.ok and whole.body is MALFORMED
        if judge_each:
            # One sub-response with NaN or NUL must not spoil the others: judge them one by one.
            whole = Reply(whole.status, whole.headers, decode_lenient(response.content), whole.size)
        share = whole.size // max(len(group), 1)
        if not whole.ok:
            return [_Outcome(job, whole, True) for job in group]
        items = whole.body.get("responses") if isinstance(whole.body, dict) else None
        if not isinstance(items, list):
            return [_Outcome(job, malformed("a $batch reply without a 'responses' array", url=job.target,
                                            tenant_id=self.tenant_id, status=whole.status), True) for job in group]
        by_id = {str(item.get("id")): item for item in items if isinstance(item, dict)}
        outcomes = []
        for n, job in enumerate(group, start=1):
            try:
                reply = Reply.from_batch(by_id[str(n)], share)
                if judge_each and not is_clean(reply.body):
                    reply = Reply(reply.status, reply.headers, MALFORMED, reply.size)
                outcomes.append(_Outcome(job, reply, False))
            except (KeyError, ValueError):
                outcomes.append(_Outcome(job, malformed("a $batch reply without this sub-response", url=job.target,
                                                        tenant_id=self.tenant_id), True))
        return outcomes

    # -- settling a round ------------------------------------------------------------------

    def _settle(self, outcomes: list[_Outcome], results: dict[str, Any]) -> tuple[list[_Job], float, bool]:
        """Record finished requests; return the jobs for the next round, the wait before it, and
        whether a fresh token is needed first."""
        pending: list[_Job] = []
        delay_s = 0.0
        refresh = False
        retried = 0
        for outcome in outcomes:
            job, reply = outcome.job, outcome.reply
            if isinstance(reply, ScannerError):
                results[job.key] = reply
            elif reply.ok:
                if self._take_page(job, reply, results):
                    pending.append(job)
            elif not outcome.final and reply.status in RETRYABLE_STATUSES and self._may_retry(job, reply):
                retried += 1
                wait = retry_after_s(reply) or backoff_delay(job.throttled, self._backoff_s)
                delay_s = max(delay_s, wait)
                pending.append(job)
            elif not outcome.final and reply.status == 401 and not job.auth_retried:
                job.auth_retried = refresh = True
                self.stats.add(retries=1)
                pending.append(job)
            else:
                permission = ",".join(job.request.permissions) or None
                results[job.key] = error_for(reply, url=job.target, tenant_id=self.tenant_id, permission=permission)
        if retried:
            self.stats.add(retries=retried)
            log.warning("graph batch: retrying throttled sub-requests tenant=%s count=%d delay_s=%.2f",
                        self.tenant_id, retried, delay_s)
        return pending, delay_s, refresh

    def _may_retry(self, job: _Job, reply: Reply) -> bool:
        """Count a throttled sub-response; True (one retry spent) when the job may be sent again."""
        if reply.status == 429:
            self.stats.add(throttled=1)
        wait = retry_after_s(reply)
        if job.throttled >= self._max_retries or (wait is not None and wait >= MAX_WAIT_S):
            return False
        job.throttled += 1
        return True

    def _take_page(self, job: _Job, reply: Reply, results: dict[str, Any]) -> bool:
        """Record a 2xx reply; True when another page is to be fetched."""
        url = job.target
        try:
            if job.request.kind == "object":
                results[job.key] = object_body(reply, url=url, tenant_id=self.tenant_id)
                return False
            value, link = list_page(reply, url=url, tenant_id=self.tenant_id)
            job.budget.spend(reply.size, has_next=link is not None, url=url, tenant_id=self.tenant_id)
            job.items.extend(value)
            if link is None:
                results[job.key] = job.items
                return False
            job.target = self._follow(link, url)
        except MalformedResponse as exc:
            results[job.key] = exc
            return False
        job.throttled = 0
        return True

    # -- URLs ------------------------------------------------------------------------------

    def _initial_target(self, path: str) -> str:
        try:
            url = httpx.URL(self._base_str + "/" + path.lstrip("/"))
        except httpx.InvalidURL as exc:
            raise MalformedResponse(None, "invalid_url", f"The Graph path {path!r} for tenant {self.tenant_id} is "
                                    f"not a valid URL path: {exc}.", path, tenant_id=self.tenant_id) from exc
        return url.raw_path.decode("ascii")[len(self._base_path):]

    def _follow(self, link: str, current: str) -> str:
        """The target for a nextLink: batchable when under /v1.0, absolute when elsewhere on Graph."""
        try:
            url = self._base.join(link)
        except httpx.InvalidURL as exc:
            raise malformed(f"an invalid '@odata.nextLink' ({exc})", url=current, tenant_id=self.tenant_id) from exc
        if (url.scheme, url.host, url.port) != (self._base.scheme, self._base.host, self._base.port):
            raise malformed(f"an '@odata.nextLink' to another host ({url.host}); it was not followed",
                            url=current, tenant_id=self.tenant_id)
        raw = url.raw_path.decode("ascii")
        if raw.startswith(self._base_path + "/"):
            return raw[len(self._base_path):]
        return str(url)

    def _absolute(self, target: str) -> str:
        return self._base_str + target if target.startswith("/") else target
