"""What reading a tenant needs from the platform: the app's token provider, the endpoints, the CA bundle.

Shared by the scans and the connection probes (``customers``), hence a module of its own.

Built once per worker process (by ``worker``, from ``config.settings.Settings``) and passed to
:func:`portal.services.scans.run_scan`; services never read settings. One ``TokenProvider`` per
process matters: it keeps one MSAL app object, with its token cache, per tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner import Check, RequestBudget, ScanOptions, TokenProvider

__all__ = ["ScannerEnvironment"]


@dataclass(frozen=True)
class ScannerEnvironment:
    """Everything ``scanner.scan_tenant`` takes that is the same for every tenant.

    Attributes:
        tokens: the service app's token provider (thread-safe; shared by the worker's threads).
        graph_url, exchange_url: base URLs without version (``https://graph.microsoft.com``).
        ca_bundle: extra CA certificates (PEM path) to trust for those endpoints.
        options: per-tenant concurrency, retries and backoff; ``None`` for the scanner's defaults.
        checks: the checks to run; ``None`` for the whole catalogue.
        dns_resolver: the DNS resolvers of the mail-authentication checks (``"host[:port], ..."``,
            ``"none"`` to turn lookups off); ``None`` for the host's own.
        request_budget: the process's budget against Microsoft's throttling limits, shared by its
            threads (and, through its ledger, by every worker process); ``None``: each scan its own.
    """

    tokens: TokenProvider
    graph_url: str
    exchange_url: str
    ca_bundle: str | None = None
    options: ScanOptions | None = None
    checks: tuple[Check, ...] | None = None
    dns_resolver: str | None = None
    request_budget: RequestBudget | None = None
