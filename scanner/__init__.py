"""Scan Microsoft 365 tenants through Microsoft Graph and the Exchange Online admin API.

A pure library: no database, no web framework, no environment variables. Everything it needs
(endpoints, the service's app credentials, per-tenant configuration) comes in as arguments, so the
same code path scans Microsoft, a national cloud, or the simulator.

    tokens = TokenProvider(AppCredentials(client_id, certificate_pem=pem), Endpoints(...))
    result = await scan_tenant(tenant_id, tokens=tokens, graph_url=..., exchange_url=...)
"""

from scanner._auth import AppCredentials, Endpoints, TokenProvider
from scanner._budget import DEFAULT_LIMITS, Ledger, Limit, MemoryLedger, RequestBudget, graph_units
from scanner._decode import json_safe
from scanner._dns import parse_resolver
from scanner._environment import GROUP_KINDS
from scanner._errors import (
    AuthError,
    ConsentMissing,
    CredentialInvalid,
    ExchangeRoleMissing,
    InsufficientPermission,
    MalformedData,
    MalformedResponse,
    PagingLimit,
    RequestError,
    ScannerError,
    ServiceError,
    TenantNotFound,
    Throttled,
    TransientAuthError,
)
from scanner._loop import ScanLoop
from scanner._memory import tune_collector_for_scans
from scanner._result import CheckResult, ScanResult, ScanStats, TenantInfo
from scanner._scan import ScanOptions, scan_tenant, select_checks
from scanner._scoring import SEVERITY_WEIGHTS, coverage, coverage_of, grade, score, score_of
from scanner.checks import Check, CheckMeta, Gate, Severity, Status, TenantConfig, catalogue, get_check
from scanner.collections import COLLECTIONS, required_permissions

__all__ = [
    "COLLECTIONS",
    "DEFAULT_LIMITS",
    "GROUP_KINDS",
    "SEVERITY_WEIGHTS",
    "AppCredentials",
    "AuthError",
    "Check",
    "CheckMeta",
    "CheckResult",
    "ConsentMissing",
    "CredentialInvalid",
    "Endpoints",
    "ExchangeRoleMissing",
    "Gate",
    "InsufficientPermission",
    "Ledger",
    "Limit",
    "MalformedData",
    "MalformedResponse",
    "MemoryLedger",
    "PagingLimit",
    "RequestBudget",
    "RequestError",
    "ScanLoop",
    "ScanOptions",
    "ScanResult",
    "ScanStats",
    "ScannerError",
    "ServiceError",
    "Severity",
    "Status",
    "TenantConfig",
    "TenantInfo",
    "TenantNotFound",
    "Throttled",
    "TokenProvider",
    "TransientAuthError",
    "catalogue",
    "coverage",
    "coverage_of",
    "get_check",
    "grade",
    "graph_units",
    "json_safe",
    "parse_resolver",
    "required_permissions",
    "scan_tenant",
    "score",
    "score_of",
    "select_checks",
    "tune_collector_for_scans",
]
