"""Every enabled privileged account has signed in recently (within ``stale_admin_days``, default 45).

A user Graph reports no successful sign-in for (``signInActivity`` absent or null, or its
``lastSuccessfulSignInDateTime`` null) is stale once the account is older than the threshold; a null
``createdDateTime`` (some accounts created before mid-2018) counts as old.
"""

import datetime as dt
from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.roles._roles import directory_entries, privileged_users

META = CheckMeta(
    id="entra.roles.stale_admins",
    title="No stale accounts hold privileged roles",
    area="Privileged roles",
    severity=Severity.MEDIUM,
    collections=("role_assignments", "privileged_group_members", "users_sign_in"),
    gates=(Gate.ENTRA_P1,),
    references=("MT.1029",),
    rationale=(
        "An admin account nobody uses is nobody's to watch: its sign-ins go unnoticed, its password is old, and it "
        "often belongs to someone who has left."
    ),
    remediation=(
        "Entra admin center > Entra ID > Roles & admins: remove the role from each account listed, or block its "
        "sign-in under Users > (account) > Edit properties if nobody needs it. Keep break-glass accounts in use by "
        "testing them on a schedule."
    ),
)


def evaluate(data: Collected) -> Verdict:
    holders = privileged_users(data["role_assignments"], data["privileged_group_members"])
    users = directory_entries(data["users_sign_in"], holders)
    limit = dt.timedelta(days=data.config.stale_admin_days)
    enabled = [u for u in users.values() if u["accountEnabled"] is True]
    stale = {u["userPrincipalName"]: _last_sign_in(u) for u in enabled if _is_stale(u, data.now, limit)}
    evidence = {
        "threshold_days": data.config.stale_admin_days,
        "enabled_privileged_users": len(enabled),
        "stale": stale,
    }
    if stale:
        return Verdict.failed(evidence, affected=list(stale))
    return Verdict.passed(evidence)


def _last_sign_in(user: dict[str, Any]) -> str | None:
    # Graph leaves signInActivity out (or null) for a user who never signed in.
    activity = user.get("signInActivity")
    return activity["lastSuccessfulSignInDateTime"] if activity else None


def _is_stale(user: dict[str, Any], now: dt.datetime, limit: dt.timedelta) -> bool:
    last = _last_sign_in(user)
    if last is not None:
        return now - dt.datetime.fromisoformat(last) > limit
    created = user["createdDateTime"]
    return created is None or now - dt.datetime.fromisoformat(created) > limit
