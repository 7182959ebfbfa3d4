"""Scan one tenant: get tokens, collect what the checks need, evaluate, score.

This is the one entry point the CLI, the worker and the benchmarks call. It takes everything as
arguments (endpoints, credentials through the ``TokenProvider``, per-tenant configuration) and reads
no environment: the same code scans Microsoft and the simulator.

A tenant that cannot be reached at all (consent missing or revoked, app disabled or deleted, tenant
gone) gives a ``disconnected`` result rather than an exception: that is a customer state the MSP
acts on. Our own credential being rejected (``CredentialInvalid``) or the identity service being
unavailable (``TransientAuthError``) raise: neither says anything about the tenant.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from scanner._auth import TokenProvider
from scanner._budget import RequestBudget
from scanner._dns import DnsResolver, parse_resolver
from scanner._environment import tenant_directory, tenant_environment
from scanner._errors import ConsentMissing, ScannerError, TenantNotFound
from scanner._exchange import ExchangeClient
from scanner._plan import Collector, first_round, needed_collections
from scanner._result import CheckResult, ScanResult, ScanStats, ScanStatus, TenantInfo
from scanner._runner import run_checks
from scanner._scoring import coverage, grade, score
from scanner._transport import GraphClient, RequestStats
from scanner.checks import Check, catalogue
from scanner.checks._model import Gate, Status, TenantConfig
from scanner.collections import DIRECTORY, billing_group_members
from scanner.licences import detect_gates

__all__ = ["ScanOptions", "scan_tenant", "select_checks"]

log = logging.getLogger(__name__)

#: Called with (stage, done, total); stages are "collect" and "evaluate".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScanOptions:
    """How hard to push one tenant.

    Attributes:
        max_concurrency: requests in flight at once for this tenant.
        max_retries: retries per request after a throttle, a 5xx or a dropped connection.
        backoff_s: base of the exponential backoff when the server gives no Retry-After.
    """

    max_concurrency: int = 4
    max_retries: int = 5
    backoff_s: float = 0.5


def select_checks(check_ids: Iterable[str] | None = None) -> list[Check]:
    """The checks to run: all of them, or those named (``KeyError`` names an unknown id)."""
    checks = list(catalogue())
    if check_ids is None:
        return checks
    by_id = {c.id: c for c in checks}
    wanted = list(dict.fromkeys(check_ids))
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise KeyError(f"unknown check id(s): {', '.join(unknown)}")
    return [by_id[i] for i in wanted]


async def scan_tenant(
    tenant_id: str,
    *,
    tokens: TokenProvider,
    graph_url: str,
    exchange_url: str,
    checks: list[Check] | None = None,
    config: TenantConfig | None = None,
    options: ScanOptions | None = None,
    ca_bundle: str | None = None,
    progress: Progress | None = None,
    http: httpx.AsyncClient | None = None,
    dns_resolver: str | None = None,
    directory: bool = False,
    billing_groups: Iterable[str] = (),
    request_budget: RequestBudget | None = None,
    pool: httpx.AsyncBaseTransport | None = None,
) -> ScanResult:
    """Scan one tenant and return its result.

    Args:
        tenant_id: the customer's Entra tenant id (GUID) or verified domain.
        tokens: the service's token provider (one per process; it keeps an app object per tenant).
        graph_url, exchange_url: base URLs without version (``https://graph.microsoft.com``).
        checks: which checks to run (default: the whole catalogue).
        http: an httpx client to send through (tests inject transports); default: a fresh one.
        dns_resolver: ``"host[:port], ..."`` of the DNS resolvers for the mail-authentication checks;
            default: the host's own (``/etc/resolv.conf``).
        directory: also read the verified domains, groups and users (``DIRECTORY``) whatever the checks
            need, for the result's ``directory`` and ``licensed_partitions``.
        billing_groups: ids of the groups an MSP bills by: their members are read to place each licensed
            user (``licensed_partitions``).
        request_budget: the process's budget against Microsoft's throttling limits (shared by every scan
            it runs, and through its ledger by other processes); default: this scan's own, in memory.
        pool: a connection pool kept open across scans (``scanner.connection_pool``; a worker thread's
            ``ScanLoop`` holds one), left open at the end; default: the scan's own, closed at its end.

    Raises:
        CredentialInvalid: the service's own client credential was rejected.
        TransientAuthError: the identity service could not be reached; try again later.
    """
    checks = checks if checks is not None else list(catalogue())
    config = config or TenantConfig()
    options = options or ScanOptions()
    started = dt.datetime.now(dt.UTC)
    wall0, cpu0 = time.perf_counter(), time.thread_time()
    stats = RequestStats()

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress("collect", done, total)

    common: dict[str, Any] = {
        "stats": stats, "http": http, "ca_bundle": ca_bundle,
        "max_concurrency": options.max_concurrency, "max_retries": options.max_retries, "backoff_s": options.backoff_s,
        "request_budget": request_budget if request_budget is not None else RequestBudget(),
        "pool": pool,
    }
    budget = common["request_budget"]
    graph = GraphClient(tenant_id, tokens, graph_url, **common)
    groups = tuple(billing_groups)
    extra = {"billing_group_members": billing_group_members(groups)} if groups else {}
    collector = Collector(graph, lambda: ExchangeClient(tenant_id, tokens, exchange_url, **common), report,
                          dns_factory=lambda: DnsResolver(parse_resolver(dns_resolver)), extra=extra)
    log.info("scan started", extra={"tenant_id": tenant_id, "checks": len(checks)})
    try:
        collector.expect(first_round(checks))
        await collector.collect(first_round(checks))
        if isinstance(users := collector.results.get("users"), list):
            budget.note_tenant_size(tenant_id, len(users))  # Microsoft's per-tenant limits grow with it
        gates, gates_error = _gates(collector.results)
        needed = needed_collections(checks, gates) + (list(DIRECTORY) if directory else []) + list(extra)
        collector.expect(needed)
        await collector.collect(needed)
    except (ConsentMissing, TenantNotFound) as exc:
        log.warning("tenant unreachable: %s", exc, extra={"tenant_id": tenant_id})
        return _disconnected(tenant_id, exc, started, stats, wall0, cpu0)
    finally:
        await collector.aclose()
        await graph.aclose()

    results = run_checks(
        checks, collector.results, gates, now=started, config=config, tenant_id=tenant_id, gates_error=gates_error
    )
    if progress is not None:
        progress("evaluate", len(results), len(results))
    value = score(results)
    status: ScanStatus = "partial" if any(r.status is Status.ERROR for r in results) else "completed"
    result = ScanResult(
        tenant=_tenant_info(tenant_id, collector.results.get("organization")),
        status=status,
        score=value,
        grade=grade(value),
        coverage=coverage(results),
        checks=tuple(results),
        stats=_stats(stats, wall0, cpu0, _count_objects(collector.results)),
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        gates=frozenset(gates or ()),
        # Which billing groups were asked for: a split that needs another is not this scan's to make.
        environment=tenant_environment(collector.results) | {"billing_groups_asked": sorted(set(groups))},
        directory=tenant_directory(collector.results) if directory else None,
    )
    log.info("scan finished", extra={"tenant_id": tenant_id, "status": status, "score": value,
                                     "requests": result.stats.requests})
    return result


def _gates(collected: dict[str, Any]) -> tuple[set[Gate] | None, ScannerError | None]:
    for name in ("subscribed_skus", "organization"):
        if isinstance(collected[name], ScannerError):
            return None, collected[name]
    try:
        return detect_gates(collected["subscribed_skus"], collected["organization"]), None
    except (KeyError, TypeError) as exc:
        log.warning("licence inventory has an unexpected shape: %r", exc)
        return None, None


def _tenant_info(tenant_id: str, organization: Any) -> TenantInfo:
    if not isinstance(organization, list) or not organization:
        return TenantInfo(id=tenant_id)
    org = organization[0]
    domains = org.get("verifiedDomains") or []
    default = next((d.get("name", "") for d in domains if d.get("isDefault")), "")
    return TenantInfo(id=org.get("id", tenant_id), name=org.get("displayName", ""), default_domain=default)


def _stats(stats: RequestStats, wall0: float, cpu0: float, objects: int = 0) -> ScanStats:
    return ScanStats(
        requests=stats.requests,
        duration_s=round(time.perf_counter() - wall0, 3),
        cpu_s=round(time.thread_time() - cpu0, 3),
        retries=stats.retries,
        objects=objects,
    )


def _count_objects(collected: dict[str, Any]) -> int:
    total = 0
    for value in collected.values():
        if isinstance(value, list):
            total += len(value)
        elif isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
            total += sum(len(v) for v in value.values())  # fan-outs: key -> list
        elif isinstance(value, dict):
            total += 1
    return total


def _disconnected(
    tenant_id: str, exc: ScannerError, started: dt.datetime, stats: RequestStats, wall0: float, cpu0: float
) -> ScanResult:
    no_checks: tuple[CheckResult, ...] = ()
    return ScanResult(
        tenant=TenantInfo(id=tenant_id),
        status="disconnected",
        score=None,
        grade=None,
        coverage=0.0,
        checks=no_checks,
        stats=_stats(stats, wall0, cpu0),
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        error=f"{exc.reason}: {exc}",
    )
