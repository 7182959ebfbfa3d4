"""Guests and external users must pass MFA for every app."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

META = CheckMeta(
    id="entra.ca.mfa_guests",
    title="MFA is required for guests and external users",
    area="Conditional Access",
    severity=Severity.HIGH,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("MT.1016",),
    rationale=(
        "Guest accounts are managed by other organisations whose password hygiene you cannot see; "
        "requiring MFA in your tenant keeps a guest's leaked password from opening your files and Teams."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = Guest or external "
        "users (all types, all external organisations) or All users, with no guest exclusion; Target resources = "
        "All resources; Grant = Require multifactor authentication; set Enable policy to On."
    ),
    decision="Report-only and risk-limited policies never count; guest exclusions disqualify a policy.",
)


def _includes_guests(policy: dict[str, Any]) -> bool:
    users = policy["conditions"]["users"]
    included = {"All", "GuestsOrExternalUsers"} & set(users["includeUsers"])
    excluded = "GuestsOrExternalUsers" in users["excludeUsers"] or users["excludeGuestsOrExternalUsers"] is not None
    return (bool(included) or users["includeGuestsOrExternalUsers"] is not None) and not excluded


def _rule(policy: dict[str, Any]) -> bool:
    return _policy.targets_all_apps(policy) and _includes_guests(policy) and _policy.is_mfa_for_everyone(policy)


def evaluate(data: Collected) -> Verdict:
    return _policy.find(data["ca_policies"], _rule)
