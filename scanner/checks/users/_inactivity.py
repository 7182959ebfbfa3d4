"""The rule shared by ``users.inactive_members`` and ``users.inactive_guests``.

An enabled account of the given ``userType`` is inactive when its last successful sign-in is older than
``TenantConfig.inactive_days`` before ``data.now``, or when it never signed in and was created before that.
"Never signed in" covers both ways Graph says it: ``signInActivity`` absent, or its
``lastSuccessfulSignInDateTime`` null. Decisions, with reasons:

- CIPP skips accounts without ``signInActivity``; we count them, since an enabled account nobody has ever used
  is the one most likely to be forgotten.
- A null ``createdDateTime`` (accounts older than the property) counts as created long ago.
- ``lastSuccessfulSignInDateTime`` is only recorded since December 2023, so an account whose only sign-ins are
  older reads as never signed in; with a threshold under two years that makes no difference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scanner.checks._model import Collected, Verdict

__all__ = ["DECISION", "evaluate_inactivity"]

DECISION = (
    "An account that never signed in counts as inactive once it is older than the threshold (CIPP skips accounts "
    "without signInActivity; an enabled account nobody ever used is the likeliest to be forgotten). A null "
    "createdDateTime counts as old. The threshold is TenantConfig.inactive_days (default 90)."
)


def _parse(timestamp: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(timestamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _is_inactive(user: dict[str, Any], cutoff: dt.datetime) -> bool:
    activity = user.get("signInActivity")
    last = activity["lastSuccessfulSignInDateTime"] if activity is not None else None
    if last is not None:
        return _parse(last) < cutoff
    created = user["createdDateTime"]
    return created is None or _parse(created) < cutoff


def evaluate_inactivity(data: Collected, user_type: str) -> Verdict:
    """Fail with the UPNs of enabled ``user_type`` accounts that are inactive; pass when there are none."""
    days = data.config.inactive_days
    cutoff = data.now - dt.timedelta(days=days)
    accounts = [u for u in data["users_sign_in"] if u["accountEnabled"] is True and u["userType"] == user_type]
    inactive = [u["userPrincipalName"] for u in accounts if _is_inactive(u, cutoff)]
    evidence = {
        "inactive_days": days,
        "cutoff": cutoff.isoformat(),
        "accounts_checked": len(accounts),
        "inactive": len(inactive),
    }
    if not inactive:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=inactive)
