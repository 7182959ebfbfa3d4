"""Administrators re-authenticate at least every four hours and never keep a persistent browser session."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

#: Longest accepted admin session (Prowler's default for CIS 5.2.2.4).
MAX_SESSION_HOURS = 4
_HOURS_PER_UNIT = {"hours": 1, "days": 24}

META = CheckMeta(
    id="entra.ca.admin_sign_in_frequency",
    title="Admin sessions are short and not persistent",
    area="Conditional Access",
    severity=Severity.MEDIUM,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("CIS M365 v7.0 5.2.2.4",),
    rationale=(
        "A stolen admin session cookie is worth as much as the password and MFA together. Short sign-in "
        "frequency and no 'stay signed in' limit how long a stolen or forgotten admin session stays usable."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies: in a policy for the highly privileged "
        "directory roles and All resources, set Session > Sign-in frequency = Periodic reauthentication, 4 hours "
        "or less, and Persistent browser session = Never persistent; set Enable policy to On."
    ),
    decision=(
        "Admin targeting as entra.ca.mfa_admins. A frequency of 'every time' is stricter than 4 hours and counts. "
        "Report-only never counts."
    ),
)


def _short_sign_in_frequency(session: dict[str, Any]) -> bool:
    frequency = session["signInFrequency"]
    if frequency is None or frequency["isEnabled"] is not True:
        return False
    if frequency["frequencyInterval"] == "everyTime":
        return True
    hours_per_unit = _HOURS_PER_UNIT.get(frequency["type"])
    return hours_per_unit is not None and frequency["value"] * hours_per_unit <= MAX_SESSION_HOURS


def _never_persistent(session: dict[str, Any]) -> bool:
    browser = session["persistentBrowser"]
    return browser is not None and browser["isEnabled"] is True and browser["mode"] == "never"


def _rule(policy: dict[str, Any]) -> bool:
    session = policy["sessionControls"]
    return (
        _policy.targets_all_apps(policy)
        and _policy.targets_privileged_roles(policy)
        and not _policy.extra_conditions(policy)
        and session is not None
        and _short_sign_in_frequency(session)
        and _never_persistent(session)
    )


def evaluate(data: Collected) -> Verdict:
    return _policy.find(data["ca_policies"], _rule)
