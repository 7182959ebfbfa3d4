"""The vocabulary of a check: metadata, the data it reads, and the verdict it returns.

A check is a module with a ``META`` (:class:`CheckMeta`) and a pure ``evaluate(data: Collected) -> Verdict``.
The runner (``scanner._runner``), not the check, turns a missing licence into ``not_applicable`` and a
collection that could not be read into ``error``; ``evaluate`` only ever sees data that was read.

Raw Graph JSON stays as Graph wrote it (camelCase dicts). A check reads the fields it needs with
``obj["field"]``: a field Graph did not send raises ``KeyError``, which the runner reports as
``error`` with reason ``malformed_data``. A default never stands in for a value Graph did not send.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CheckMeta",
    "Collected",
    "Gate",
    "Severity",
    "Status",
    "TenantConfig",
    "Verdict",
]


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


class Gate(enum.StrEnum):
    """A licence or tenant feature a check needs; without it the check is ``not_applicable``.

    The value is the reason written on the result (``license:entra_p1``, ``not_hybrid``...).
    """

    ENTRA_P1 = "license:entra_p1"
    ENTRA_P2 = "license:entra_p2"
    INTUNE = "license:intune"
    EXCHANGE = "license:exchange_online"
    SHAREPOINT = "license:sharepoint_online"
    DEFENDER = "license:defender_office_365"
    HYBRID = "not_hybrid"


@dataclass(frozen=True)
class TenantConfig:
    """Per-tenant choices where MSPs differ (checks.md §6). Defaults are the product's opinion.

    Attributes:
        break_glass_ids: object ids of emergency-access users or groups that Conditional Access
            policies may (and should) exclude.
        global_admin_min / global_admin_max: accepted Global Administrator count, inclusive. Default
            2..4 (CIS 1.1.3); ScubaGear allows up to 8 (MS.AAD.7.1v1).
        inactive_days: an enabled account with no successful sign-in for longer is inactive.
        stale_admin_days: the same threshold for privileged accounts.
        secure_score_target: Secure Score share (0..1) at or above which ``securescore.overall`` passes.
        compliant_device_ratio: share of managed devices that must be compliant.
    """

    break_glass_ids: frozenset[str] = frozenset()
    global_admin_min: int = 2
    global_admin_max: int = 4
    inactive_days: int = 90
    stale_admin_days: int = 45
    secure_score_target: float = 0.6
    compliant_device_ratio: float = 0.9


@dataclass(frozen=True)
class CheckMeta:
    """Everything about a check except its rule. Validated by the registry at import.

    Attributes:
        id: stable, lower-case, dotted by area; its last part is the module name.
        title: what good looks like, as a short sentence ("Legacy authentication is blocked").
        area: a heading for people ("Conditional Access", "Exchange Online").
        severity: how much a failure matters; drives the score weight.
        collections: names from ``scanner.collections.COLLECTIONS`` the check reads.
        gates: licences or features the check needs; any missing gives ``not_applicable``.
        references: CISA SCuBA ids verbatim (``MS.AAD.1.1v1``), CIS ids with benchmark version
            (``CIS M365 v7.0 5.2.2.3``), EIDSCA or Maester ids.
        rationale: why it matters, in our own words.
        remediation: what to change, in our own words.
        decision: where the public tools disagree, the rule we chose and why (checks.md §6).
        versus_scuba: for a check citing a SCuBA policy, where its verdict differs from ScubaGear's
            rule: ``"stricter: ..."`` or ``"more lenient: ..."`` with the reason (None: no known
            difference). Shown in the README's catalogue, so a reader knows what a pass promises.
    """

    id: str
    title: str
    area: str
    severity: Severity
    collections: tuple[str, ...]
    rationale: str
    remediation: str
    references: tuple[str, ...] = ()
    gates: tuple[Gate, ...] = ()
    decision: str | None = None
    versus_scuba: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What ``evaluate`` returns: a status, the evidence read, and the objects at fault."""

    status: Status
    reason: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    affected: list[str] = field(default_factory=list)

    @classmethod
    def passed(cls, evidence: dict[str, Any] | None = None, reason: str | None = None) -> Verdict:
        return cls(Status.PASS, reason, evidence or {}, [])

    @classmethod
    def failed(
        cls,
        evidence: dict[str, Any] | None = None,
        affected: list[str] | None = None,
        reason: str | None = None,
    ) -> Verdict:
        return cls(Status.FAIL, reason, evidence or {}, sorted(affected or []))

    @classmethod
    def not_applicable(cls, reason: str, evidence: dict[str, Any] | None = None) -> Verdict:
        return cls(Status.NOT_APPLICABLE, reason, evidence or {}, [])

    @classmethod
    def error(cls, reason: str, evidence: dict[str, Any] | None = None) -> Verdict:
        return cls(Status.ERROR, reason, evidence or {}, [])


class Collected(Mapping[str, Any]):
    """The raw data one check may read, plus the scan's clock and the tenant's configuration.

    Only the collections named in the check's ``META.collections`` are reachable: reading another
    raises ``LookupError``, so a check cannot depend on data its metadata does not declare (and the
    collection plan, built from metadata, would not fetch).
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        allowed: tuple[str, ...] | None = None,
        now: dt.datetime | None = None,
        config: TenantConfig | None = None,
        tenant_id: str = "",
    ) -> None:
        self._data = data
        self._allowed = frozenset(allowed) if allowed is not None else None
        self.now = now or dt.datetime.now(dt.UTC)
        self.config = config or TenantConfig()
        self.tenant_id = tenant_id

    def __getitem__(self, name: str) -> Any:
        if self._allowed is not None and name not in self._allowed:
            raise LookupError(f"collection {name!r} is not declared in the check's META.collections")
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(k for k in self._data if self._allowed is None or k in self._allowed)

    def __len__(self) -> int:
        return sum(1 for _ in self)
