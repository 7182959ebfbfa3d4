"""What a baseline means, as pure functions: which one a customer is on, what counts, how much, and the
tenant settings its checks read.

Decisions:
- A customer's baseline is the first, by ``priority`` then name, whose tags meet the customer's or
  whose tiers include its service tier; else the MSP's default; else none (the whole catalogue at the
  catalogue's severities).
- A baseline may leave checks out and change severities (both only change the *score*: a check left
  out still runs and shows, marked "not in baseline"). Its settings may only tighten the catalogue's
  defaults, never loosen them past the reference rule: the Global Administrator range within
  ScubaGear's 2..8 (MS.AAD.7.1v1), inactivity no longer than the defaults, targets no lower. A verdict
  more lenient than the reference is the one bug this product must not have (DESIGN.md "Verdicts").
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.db.models import Baseline
from portal.services.errors import InvalidInput
from scanner import Severity, TenantConfig, catalogue

__all__ = ["SETTINGS", "BaselineRules", "Setting", "choose", "parse_overrides", "parse_settings", "rules_of"]


@dataclass(frozen=True)
class Setting:
    """One tenant setting a baseline may set: its TenantConfig field, bounds and what it is called."""

    name: str
    label: str
    low: float
    high: float
    default: float
    whole: bool = True


#: The settings a baseline may set, with the bounds that keep verdicts at least as strict as the reference.
SETTINGS = (
    Setting("global_admin_min", "Fewest Global Administrators", 2, 8, TenantConfig.global_admin_min),
    Setting("global_admin_max", "Most Global Administrators", 2, 8, TenantConfig.global_admin_max),
    Setting("inactive_days", "Days without sign-in before an account is inactive", 7, 90, TenantConfig.inactive_days),
    Setting("stale_admin_days", "Days without sign-in before an admin is stale", 7, 45,
            TenantConfig.stale_admin_days),
    Setting("secure_score_target", "Secure Score target (share, 0.6 to 1)", 0.6, 1.0,
            TenantConfig.secure_score_target, whole=False),
    Setting("compliant_device_ratio", "Share of managed devices that must be compliant", 0.9, 1.0,
            TenantConfig.compliant_device_ratio, whole=False),
)
_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class BaselineRules:
    """A baseline as scoring and scanning read it (``rules_of(None)``: no baseline)."""

    baseline_id: uuid.UUID | None = None
    name: str | None = None
    check_ids: frozenset[str] | None = None
    severities: Mapping[str, Severity] = field(default_factory=dict)
    settings: Mapping[str, float] = field(default_factory=dict)

    def counts(self, check_id: str) -> bool:
        return self.check_ids is None or check_id in self.check_ids

    def severity_of(self, check_id: str, catalogue_severity: str) -> str | None:
        """The severity ``check_id`` counts with, or None when it does not count."""
        if not self.counts(check_id):
            return None
        override = self.severities.get(check_id)
        return override.value if override is not None else catalogue_severity

    def tenant_config(self, break_glass_ids: Iterable[str]) -> TenantConfig:
        values = {name: (int(v) if _BY_NAME[name].whole else float(v)) for name, v in self.settings.items()}
        return TenantConfig(break_glass_ids=frozenset(break_glass_ids), **values)  # type: ignore[arg-type]


def rules_of(baseline: Baseline | None) -> BaselineRules:
    if baseline is None:
        return BaselineRules()
    return BaselineRules(
        baseline_id=baseline.id, name=baseline.name,
        check_ids=None if baseline.check_ids is None else frozenset(baseline.check_ids),
        severities={k: Severity(v) for k, v in (baseline.severity_overrides or {}).items()},
        settings={k: float(v) for k, v in (baseline.settings or {}).items() if k in _BY_NAME})


def choose(baselines: Iterable[Baseline], tags: Iterable[str], tier: str | None) -> Baseline | None:
    """The customer's baseline among the MSP's live ones (see the module's decisions)."""
    live = sorted((b for b in baselines if b.deleted_at is None), key=lambda b: (b.priority, b.name.casefold()))
    wanted = {t.lower() for t in tags}
    for baseline in live:
        if wanted & {t.lower() for t in baseline.assign_tags or ()} or (tier and tier in (baseline.assign_tiers or ())):
            return baseline
    return next((b for b in live if b.is_default), None)


def _known() -> dict[str, Any]:
    return {check.id: check.meta for check in catalogue()}


def parse_overrides(text: str) -> dict[str, str]:
    """``check id: severity`` (or ``=``) per line, into a mapping.

    Raises:
        InvalidInput: a line that is not one, an unknown check or an unknown severity.
    """
    known, found = _known(), {}
    severities = {s.value for s in Severity}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-z0-9_.]+)\s*[:=]\s*([a-z]+)", line)
        if match is None:
            raise InvalidInput(f"line {number}: write it as check.id: severity")
        check_id, severity = match.groups()
        if check_id not in known:
            raise InvalidInput(f"line {number}: no check {check_id[:80]}")
        if severity not in severities:
            raise InvalidInput(f"line {number}: a severity is one of {', '.join(sorted(severities))}")
        found[check_id] = severity
    return found


def parse_settings(values: Mapping[str, str]) -> dict[str, float]:
    """The settings typed in a form (blank: the default), checked against their bounds.

    Raises:
        InvalidInput: a value that is not a number, or outside what keeps verdicts strict enough.
    """
    chosen: dict[str, float] = {}
    for setting in SETTINGS:
        raw = (values.get(setting.name) or "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInput(f"{setting.label}: a number") from None
        if not math.isfinite(value):
            raise InvalidInput(f"{setting.label}: a number")
        if setting.whole and value != int(value):
            raise InvalidInput(f"{setting.label}: a whole number")
        if not setting.low <= value <= setting.high:
            raise InvalidInput(f"{setting.label}: from {setting.low:g} to {setting.high:g} (a baseline may "
                               "tighten the checks, never loosen them past the reference rule)")
        chosen[setting.name] = int(value) if setting.whole else value
    low = chosen.get("global_admin_min", TenantConfig.global_admin_min)
    high = chosen.get("global_admin_max", TenantConfig.global_admin_max)
    if low > high:
        raise InvalidInput("the fewest Global Administrators is more than the most")
    return chosen
