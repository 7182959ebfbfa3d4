"""Registering MFA methods (security info) is only possible from a managed device or a trusted location."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.ca import _policy

REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"

META = CheckMeta(
    id="entra.ca.secure_security_info_registration",
    title="Security info registration is protected",
    area="Conditional Access",
    severity=Severity.MEDIUM,
    collections=("ca_policies",),
    gates=(Gate.ENTRA_P1,),
    references=("MS.AAD.3.8v1", "CIS M365 v7.0 5.2.2.10", "MT.1011"),
    rationale=(
        "An attacker holding a password for an account without MFA yet can register their own authenticator "
        "and own the account for good. Limiting registration to managed devices or the office network stops that."
    ),
    remediation=(
        "Entra admin center > Protection > Conditional Access > Policies > New policy: Users = All users, "
        "Target resources > User actions = Register security information, then either Grant = Require device to be "
        "marked as compliant / hybrid joined, or Network = Any location excluding All trusted networks with "
        "Grant = Block access (or Require MFA); set Enable policy to On."
    ),
    decision=(
        "As ScubaGear, only the device controls count (compliant or hybrid-joined device). Maester MT.1011 also "
        "accepts blocking registration outside trusted locations; such a policy fails here with reason "
        "trusted_locations_only, since a trusted network is where a phished password is typed too. Report-only "
        "never counts. Excluded users, groups, roles or guests other than break-glass accounts disqualify a policy "
        "(reason unapproved_exclusions), as in ScubaGear."
    ),
)


def _requires_managed_device(policy: dict[str, Any]) -> bool:
    return bool({"compliantDevice", "domainJoinedDevice"} & set(_policy.built_in_controls(policy)))


def _limits_to_trusted_locations(policy: dict[str, Any]) -> bool:
    locations = policy["conditions"]["locations"]
    if locations is None:
        return False
    untrusted_only = "All" in locations["includeLocations"] and bool(locations["excludeLocations"])
    return untrusted_only and (_policy.blocks(policy) or _policy.requires_mfa(policy))


def _registration(policy: dict[str, Any]) -> bool:
    return (
        _policy.targets_all_users(policy)
        and REGISTER_SECURITY_INFO in policy["conditions"]["applications"]["includeUserActions"]
        and not _policy.extra_conditions(policy)
    )


def _rule(policy: dict[str, Any]) -> bool:
    return _registration(policy) and _requires_managed_device(policy)


def evaluate(data: Collected) -> Verdict:
    verdict = _policy.find_excluding_break_glass_only(data["ca_policies"], _rule, data.config)
    if verdict.reason == _policy.NO_MATCH:
        by_location = [p for p in data["ca_policies"] if p["state"] == _policy.ENFORCED and _registration(p)
                       and _limits_to_trusted_locations(p)]
        if by_location:
            return Verdict.failed({"location_policies": [_policy.policy_ref(p) for p in by_location]},
                                  affected=[p["id"] for p in by_location], reason="trusted_locations_only")
    return verdict
