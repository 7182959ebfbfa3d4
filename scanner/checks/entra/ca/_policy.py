"""Shared Conditional Access logic: the CA-base filter, break-glass ids, and the grant-control tests.

Every ``entra.ca.*`` check and ``entra.secdef.enabled`` reads policies through these functions, so the
rules below are decided once (docs/catalogue-plan.md, "CA-base"; checks.md §1.0 and §6.6-6.7):

- Report-only (``enabledForReportingButNotEnforced``) never satisfies a control. :func:`find` still names
  a report-only policy that would have matched, with reason ``report_only``, because switching it on is
  the whole fix.
- CA-base: enforced, ``includeUsers`` has ``All``, ``includeApplications`` has ``All`` **and**
  ``excludeApplications`` is empty (ScubaGear's common check in ``AADConfig.rego``; an "all apps except
  Exchange" policy is not all apps), no ``excludeRoles``, and every excluded user or group is a
  break-glass id.
- Break-glass ids: only ``TenantConfig.break_glass_ids``, the accounts the MSP recorded for the tenant.
  Without them no exclusion is accepted. The user and group ids excluded by every policy that is not
  ``disabled`` are still worked out (MT.1005 expects such an exclusion on each policy) and offered as
  *candidates*: a policy whose only unapproved exclusions are candidates fails with reason
  ``break_glass_unconfirmed``, which says "confirm these accounts" rather than "fix this policy".
  Accepting them silently would let one policy excluding anyone pass (with a single policy in use,
  every one of its exclusions is "common to all"), which ScubaGear never does.
- A policy narrowed to risky sign-ins, risky users or one authentication flow does not apply to every
  sign-in, so it cannot stand in for "MFA for all users" and the like: checks pass
  :func:`extra_conditions` the conditions they themselves ask for, and no others are allowed.
- An authentication strength counts as MFA only when every combination it allows is multifactor
  (:data:`MULTIFACTOR_SINGLE_METHODS`, or two methods together): a custom strength allowing
  ``password`` alone or ``sms`` sign-in is a password policy under another name.
- Excluding guests or external users (``excludeGuestsOrExternalUsers``) is an exclusion like any
  other: a CA-base policy with it has ``guests_or_external_users`` among its unapproved exclusions.
  ScubaGear's newer rules fail it unless configured as an exemption; we never accept it.
- ``conditions.authenticationFlows`` and ``users.excludeGuestsOrExternalUsers`` are read with ``.get``:
  Graph omits them when the condition is not set (observed on GET responses; the doc example predates
  them), so absence means "no condition". Every other field is read with ``[]`` and a missing one is
  ``malformed_data``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from scanner.checks._model import TenantConfig, Verdict
from scanner.collections import PRIVILEGED_ROLE_IDS

__all__ = [
    "BREAK_GLASS_UNCONFIRMED",
    "ENFORCED",
    "GUEST_EXCLUSION",
    "MULTIFACTOR_SINGLE_METHODS",
    "NO_MATCH",
    "PHISHING_RESISTANT_COMBINATIONS",
    "REPORT_ONLY",
    "UNAPPROVED_EXCLUSIONS",
    "BreakGlass",
    "blocks",
    "break_glass",
    "built_in_controls",
    "excluded_principals",
    "extra_conditions",
    "find",
    "find_ca_base",
    "find_excluding_break_glass_only",
    "infer_break_glass_ids",
    "is_active",
    "is_ca_base",
    "is_legacy_auth_block",
    "is_mfa_for_everyone",
    "is_multifactor",
    "policy_ref",
    "requires_mfa",
    "requires_phishing_resistant_mfa",
    "targets_all_apps",
    "targets_all_users",
    "targets_privileged_roles",
    "transfer_methods",
    "unapproved_exclusions",
]

ENFORCED = "enabled"
DISABLED = "disabled"

#: Verdict reasons shared by every "some policy must do X" check.
REPORT_ONLY = "report_only"
UNAPPROVED_EXCLUSIONS = "unapproved_exclusions"
BREAK_GLASS_UNCONFIRMED = "break_glass_unconfirmed"
NO_MATCH = "no_matching_policy"

#: Authentication-strength combinations that resist phishing (Microsoft's built-in
#: "Phishing-resistant MFA" strength allows exactly these).
PHISHING_RESISTANT_COMBINATIONS = frozenset({"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"})

#: Authentication methods that are multifactor on their own (Microsoft's built-in "Multifactor
#: authentication" strength lists these alone; everything else it lists pairs two methods).
MULTIFACTOR_SINGLE_METHODS = PHISHING_RESISTANT_COMBINATIONS | {
    "deviceBasedPush", "temporaryAccessPassOneTime", "temporaryAccessPassMultiUse", "federatedMultiFactor"}

#: How an exclusion of guests or external users shows among a policy's unapproved exclusions.
GUEST_EXCLUSION = "guests_or_external_users"

@dataclass(frozen=True)
class BreakGlass:
    """The emergency-access object ids that CA-base policies may exclude, and where they came from.

    Attributes:
        ids: the accepted ids: the configured ones, or none.
        source: ``configured``, or ``unconfirmed`` when the tenant has none recorded.
        candidates: without configured ids, those excluded by every policy in use, to confirm.
    """

    ids: frozenset[str]
    source: str
    candidates: frozenset[str] = frozenset()

    def evidence(self) -> dict[str, Any]:
        return {"ids": sorted(self.ids), "source": self.source, "candidates": sorted(self.candidates)}


def policy_ref(policy: dict[str, Any]) -> dict[str, Any]:
    """How a policy is named in evidence."""
    return {"id": policy["id"], "displayName": policy["displayName"], "state": policy["state"]}


def is_active(policy: dict[str, Any]) -> bool:
    """Enforced or report-only: the policies an admin still maintains."""
    return policy["state"] != DISABLED


def _users(policy: dict[str, Any]) -> dict[str, Any]:
    return policy["conditions"]["users"]


def excluded_principals(policy: dict[str, Any]) -> set[str]:
    users = _users(policy)
    return set(users["excludeUsers"]) | set(users["excludeGroups"])


def infer_break_glass_ids(policies: Iterable[dict[str, Any]]) -> frozenset[str]:
    """User and group ids excluded by every non-disabled policy; empty when there is none."""
    sets = [excluded_principals(p) for p in policies if is_active(p)]
    if not sets:
        return frozenset()
    return frozenset(set.intersection(*sets))


def break_glass(policies: list[dict[str, Any]], config: TenantConfig) -> BreakGlass:
    """The configured break-glass ids; without, none, and the inferred ids as candidates."""
    if config.break_glass_ids:
        return BreakGlass(frozenset(config.break_glass_ids), "configured")
    return BreakGlass(frozenset(), "unconfirmed", infer_break_glass_ids(policies))


def unapproved_exclusions(policy: dict[str, Any], break_glass_ids: frozenset[str]) -> list[str]:
    """Excluded users and groups that are not break-glass, every excluded role (none is allowed), and
    ``guests_or_external_users`` when guests are excluded."""
    users = _users(policy)
    unapproved = (excluded_principals(policy) - break_glass_ids) | set(users["excludeRoles"])
    if users.get("excludeGuestsOrExternalUsers") is not None:  # omitted or null: nobody excluded
        unapproved.add(GUEST_EXCLUSION)
    return sorted(unapproved)


def targets_all_users(policy: dict[str, Any]) -> bool:
    return "All" in _users(policy)["includeUsers"]


def targets_all_apps(policy: dict[str, Any]) -> bool:
    apps = policy["conditions"]["applications"]
    return "All" in apps["includeApplications"] and not apps["excludeApplications"]


def targets_privileged_roles(policy: dict[str, Any]) -> bool:
    """Every highly privileged role is covered (all users, or each role included) and none excluded."""
    users = _users(policy)
    covered = "All" in users["includeUsers"] or set(PRIVILEGED_ROLE_IDS) <= set(users["includeRoles"])
    return covered and not set(PRIVILEGED_ROLE_IDS) & set(users["excludeRoles"])


def extra_conditions(policy: dict[str, Any], allowed: Iterable[str] = ()) -> set[str]:
    """Narrowing conditions the policy sets beyond ``allowed`` (risk levels, authentication flows)."""
    conditions = policy["conditions"]
    present = {name for name in ("userRiskLevels", "signInRiskLevels") if conditions[name]}
    if conditions.get("authenticationFlows"):  # Graph omits the key when the condition is unset
        present.add("authenticationFlows")
    return present - set(allowed)


def transfer_methods(policy: dict[str, Any]) -> set[str]:
    """``authenticationFlows.transferMethods`` is one comma-separated string (a flags enum)."""
    flows = policy["conditions"].get("authenticationFlows")
    if flows is None:
        return set()
    return {m.strip() for m in flows["transferMethods"].split(",") if m.strip()}


def built_in_controls(policy: dict[str, Any]) -> list[str]:
    """Grant controls; a session-only policy has ``grantControls: null`` and so none."""
    grant = policy["grantControls"]
    return [] if grant is None else grant["builtInControls"]


def _strength(policy: dict[str, Any]) -> dict[str, Any] | None:
    grant = policy["grantControls"]
    return None if grant is None else grant["authenticationStrength"]


def blocks(policy: dict[str, Any]) -> bool:
    return "block" in built_in_controls(policy)


def is_multifactor(combination: str) -> bool:
    """One allowed combination of a strength: ``"password,sms"`` (two methods) or a method that is
    multifactor alone; ``"password"``, ``"sms"``, ``"email"`` and unknown values are not."""
    methods = {m.strip() for m in combination.split(",") if m.strip()}
    return len(methods) >= 2 or (bool(methods) and methods <= MULTIFACTOR_SINGLE_METHODS)


def requires_mfa(policy: dict[str, Any]) -> bool:
    """``mfa`` among the grant controls, or an authentication strength whose every allowed combination
    is multifactor (a custom strength may allow a password alone)."""
    if "mfa" in built_in_controls(policy):
        return True
    strength = _strength(policy)
    if strength is None:
        return False
    combinations = strength["allowedCombinations"]
    return bool(combinations) and all(is_multifactor(c) for c in combinations)


def requires_phishing_resistant_mfa(policy: dict[str, Any]) -> bool:
    """An authentication strength whose every allowed combination resists phishing."""
    strength = _strength(policy)
    if strength is None:
        return False
    combinations = set(strength["allowedCombinations"])
    return bool(combinations) and combinations <= PHISHING_RESISTANT_COMBINATIONS


def is_legacy_auth_block(policy: dict[str, Any]) -> bool:
    """Blocks the legacy client types (Exchange ActiveSync and other clients) on every sign-in."""
    client_apps = set(policy["conditions"]["clientAppTypes"])
    return {"exchangeActiveSync", "other"} <= client_apps and blocks(policy) and not extra_conditions(policy)


def is_mfa_for_everyone(policy: dict[str, Any]) -> bool:
    """Requires MFA on every sign-in it covers (not only risky ones)."""
    return requires_mfa(policy) and not extra_conditions(policy)


def is_ca_base(policy: dict[str, Any], break_glass_ids: frozenset[str]) -> bool:
    """Enforced, all users, all apps, no role exclusion, and only break-glass users or groups excluded."""
    return (
        policy["state"] == ENFORCED
        and targets_all_users(policy)
        and targets_all_apps(policy)
        and not unapproved_exclusions(policy, break_glass_ids)
    )


Rule = Callable[[dict[str, Any]], bool]


def find(policies: list[dict[str, Any]], rule: Rule) -> Verdict:
    """Pass when some enforced policy meets ``rule``; a report-only match fails with reason ``report_only``.

    ``rule`` judges targeting, conditions and controls but not ``state``. Every non-disabled policy is
    judged, so a malformed one raises whatever the order of the list.
    """
    return _judge(policies, rule, None)


def find_excluding_break_glass_only(policies: list[dict[str, Any]], rule: Rule, config: TenantConfig) -> Verdict:
    """:func:`find`, where a policy counts only if it excludes nobody but break-glass users or groups.

    A policy that meets ``rule`` but excludes other users, groups, roles or guests fails the check with
    reason ``unapproved_exclusions``; the affected ids are those exclusions. ScubaGear's rules judge
    exclusions this way for every Conditional Access policy they look for.
    """
    return _judge(policies, rule, break_glass(policies, config))


def find_ca_base(policies: list[dict[str, Any]], rule: Rule, config: TenantConfig) -> Verdict:
    """:func:`find_excluding_break_glass_only` restricted to CA-base policies (all users, all apps)."""

    def shaped(policy: dict[str, Any]) -> bool:
        return targets_all_users(policy) and targets_all_apps(policy) and rule(policy)

    return find_excluding_break_glass_only(policies, shaped, config)


def _judge(policies: list[dict[str, Any]], rule: Rule, bg: BreakGlass | None) -> Verdict:
    base: dict[str, Any] = {} if bg is None else {"break_glass": bg.evidence()}
    shaped = [p for p in policies if is_active(p) and rule(p)]
    unapproved = {p["id"]: unapproved_exclusions(p, bg.ids) for p in shaped} if bg is not None else {}
    clean = [p for p in shaped if not unapproved.get(p["id"])]
    enforced = [p for p in clean if p["state"] == ENFORCED]
    if enforced:
        return Verdict.passed({**base, "matching_policies": [policy_ref(p) for p in enforced]})
    if clean:
        return Verdict.failed(
            {**base, "report_only_policies": [policy_ref(p) for p in clean]},
            affected=[p["id"] for p in clean],
            reason=REPORT_ONLY,
        )
    awaiting = [p for p in shaped if p["state"] == ENFORCED and bg is not None and bg.candidates
                and set(unapproved[p["id"]]) <= bg.candidates]
    if awaiting:
        return Verdict.failed(
            {**base, "policies_awaiting_break_glass": [policy_ref(p) for p in awaiting]},
            affected=sorted(bg.candidates) if bg is not None else [], reason=BREAK_GLASS_UNCONFIRMED,
        )
    if shaped:
        excluded = [{**policy_ref(p), "unapproved_exclusions": unapproved[p["id"]]} for p in shaped]
        ids = {i for p in shaped for i in unapproved[p["id"]]}
        return Verdict.failed(
            {**base, "excluding_policies": excluded}, affected=list(ids), reason=UNAPPROVED_EXCLUSIONS
        )
    return Verdict.failed({**base, "policies_read": [policy_ref(p) for p in policies]}, reason=NO_MATCH)
