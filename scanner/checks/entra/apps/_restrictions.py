"""Reading app-management restrictions: ISO 8601 lifetimes, and whether a restriction covers every app.

Shared by the credential checks (MS.AAD.5.5v1 to 5.7v1). ``restrictForAppsCreatedAfterDateTime``
scopes a restriction to apps created on or after that date; it covers every app only when null or
earlier than any Entra application can be (Entra's own "all applications" value is 0001-01-01).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from scanner.checks._model import Verdict

__all__ = ["blocks_password_addition", "covers_all_apps", "enabled_restrictions", "lifetime", "lifetime_verdict"]

#: Before Entra ID existed: a restriction from this date or earlier covers every app the tenant has.
_ALL_APPS_BEFORE = dt.datetime(2010, 1, 1, tzinfo=dt.UTC)
# Graph writes lifetimes as day-time durations (P180D, P4DT12H30M5S); years and months have no fixed
# length, so a value using them is refused (ValueError: malformed_data) rather than guessed.
_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def covers_all_apps(restriction: dict[str, Any]) -> bool:
    """The restriction applies to apps whatever their creation date."""
    since = restriction["restrictForAppsCreatedAfterDateTime"]
    return since is None or dt.datetime.fromisoformat(since.replace("Z", "+00:00")) <= _ALL_APPS_BEFORE


def lifetime(value: str) -> dt.timedelta:
    """An ISO 8601 day-time duration (``P180D``) as a timedelta.

    Raises:
        ValueError: not a day-time duration.
    """
    match = _DURATION.match(value or "")
    if match is None or value in ("P", "PT"):
        raise ValueError(f"not a day-time ISO 8601 duration: {value!r}")
    weeks, days, hours, minutes, seconds = match.groups()
    return dt.timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                        minutes=int(minutes or 0), seconds=float(seconds or 0))


def enabled_restrictions(restrictions: dict[str, Any], credentials: str, kind: str) -> list[dict[str, Any]]:
    """The enabled restrictions of ``kind`` among ``passwordCredentials`` or ``keyCredentials``."""
    return [r for r in restrictions[credentials] if r["restrictionType"] == kind and r["state"] == "enabled"]


def blocks_password_addition(restrictions: dict[str, Any]) -> bool:
    """Adding a client secret is refused for every app these restrictions govern."""
    blocks = enabled_restrictions(restrictions, "passwordCredentials", "passwordAddition")
    return any(covers_all_apps(r) for r in blocks)


def lifetime_verdict(policy: dict[str, Any], custom: list[dict[str, Any]], credentials: str, kind: str,
                     longest: dt.timedelta, exempt: Callable[[dict[str, Any]], bool] = lambda _: False) -> Verdict:
    """MS.AAD.5.6v1 / 5.7v1: the default policy limits ``kind`` to ``longest`` for every app, for
    applications and service principals, and no enabled custom policy (unless ``exempt``) allows longer."""

    def limits(restrictions: dict[str, Any]) -> bool:
        return any(covers_all_apps(r) and lifetime(r["maxLifetime"]) <= longest
                   for r in enabled_restrictions(restrictions, credentials, kind))

    evidence: dict[str, Any] = {
        "isEnabled": policy["isEnabled"],
        "applicationRestrictions": limits(policy["applicationRestrictions"]),
        "servicePrincipalRestrictions": limits(policy["servicePrincipalRestrictions"]),
    }
    exempting = [p["displayName"] for p in custom if p["isEnabled"] is True
                 and not limits(p["restrictions"]) and not exempt(p["restrictions"])]
    evidence["custom_policies_allowing_longer"] = exempting
    if policy["isEnabled"] is not True:
        return Verdict.failed(evidence, reason="policy_disabled")
    if not (evidence["applicationRestrictions"] and evidence["servicePrincipalRestrictions"]):
        return Verdict.failed(evidence, reason="lifetime_not_limited")
    if exempting:
        return Verdict.failed(evidence, affected=exempting, reason="custom_policy_allows")
    return Verdict.passed(evidence)
