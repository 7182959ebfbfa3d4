"""What a scan produces: one result per check, the score, and how the scan went.

These are plain, immutable data: the output formats (``scanner.outputs``), the portal and the
worker all read them, none of them changes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from scanner.checks._model import CheckMeta, Gate, Status

__all__ = ["CheckResult", "ScanResult", "ScanStats", "ScanStatus", "TenantInfo"]

ScanStatus = Literal["completed", "partial", "disconnected"]


@dataclass(frozen=True)
class CheckResult:
    meta: CheckMeta
    status: Status
    reason: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    affected: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.meta.id


@dataclass(frozen=True)
class TenantInfo:
    id: str
    name: str = ""
    default_domain: str = ""


@dataclass(frozen=True)
class ScanStats:
    """Costs of one scan.

    Attributes:
        requests: every HTTP request sent to the identity, Graph and Exchange endpoints, retries included.
        duration_s: wall-clock time of the scan.
        cpu_s: CPU time of the thread that ran the scan (parsing and evaluation), not of MSAL's
            helper threads or of an in-process simulator.
        retries: requests that were sent again after a throttle, a 5xx or a dropped connection.
        objects: directory objects, policies and Exchange objects read (items of every list collected).
    """

    requests: int = 0
    duration_s: float = 0.0
    cpu_s: float = 0.0
    retries: int = 0
    objects: int = 0


@dataclass(frozen=True)
class ScanResult:
    """One scan of one tenant.

    ``status`` is ``completed`` when every applicable check was evaluated, ``partial`` when some
    could not be (their results are ``error``), and ``disconnected`` when the tenant could not be
    reached at all (consent missing or revoked, app disabled, tenant gone); ``error`` then says why.
    """

    tenant: TenantInfo
    status: ScanStatus
    score: float | None
    grade: str | None
    coverage: float
    checks: tuple[CheckResult, ...]
    stats: ScanStats
    started_at: dt.datetime
    finished_at: dt.datetime
    gates: frozenset[Gate] = frozenset()
    error: str | None = None
    #: The tenant in figures (users, admins, MFA, licences, Secure Score): ``scanner._environment``.
    environment: dict[str, Any] = field(default_factory=dict)
    #: The verified domains and groups (``scanner._environment.tenant_directory``), when asked for.
    directory: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        """Number of results per status."""
        out = {s.value: 0 for s in Status}
        for result in self.checks:
            out[result.status.value] += 1
        return out
