"""Which protection policies apply to mail, read from the Exchange admin API.

Each protection (anti-malware, anti-spam, Safe Attachments, Safe Links) has policies of three kinds: the
preset security policies (Standard and Strict, ``RecommendedPolicyType``), turned on for recipients by
rules (``Get-EOPProtectionPolicyRule`` for Exchange Online Protection, ``Get-ATPProtectionPolicyRule``
for Defender for Office 365); custom policies; and the default (or built-in protection) policy, which
applies to everyone no other policy covers.

ScubaGear judges one policy per protection: a preset whose rule is enabled with no recipient conditions
(ignoring its exceptions), else the custom policy of lowest priority covering everyone, else the default.
We judge a superset, so a verdict is never more lenient than ScubaGear's:

- every preset whose rule is enabled (the Defender protections need both its rules enabled), and
- unless a preset covers everyone (enabled, with no conditions *and no exceptions*), the default policy
  and every custom policy too: someone is covered by each, or will be when its rule changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from scanner.checks._model import Verdict

__all__ = ["PRESETS", "judge", "policies_in_force", "preset_covering_everyone"]

PRESETS = ("Strict", "Standard")

_CONDITIONS = ("SentTo", "SentToMemberOf", "RecipientDomainIs")
_EXCEPTIONS = ("ExceptIfSentTo", "ExceptIfSentToMemberOf", "ExceptIfRecipientDomainIs")


def _rule(rules: Iterable[dict[str, Any]], level: str) -> dict[str, Any] | None:
    prefix = f"{level} Preset Security Policy".lower()
    return next((r for r in rules if str(r["Identity"]).lower().startswith(prefix)), None)


def _enabled(rule: dict[str, Any] | None) -> bool:
    return rule is not None and rule["State"] == "Enabled"


def _everyone(rule: dict[str, Any] | None) -> bool:
    return rule is not None and _enabled(rule) and not any(rule.get(k) for k in (*_CONDITIONS, *_EXCEPTIONS))


def _rule_sets(eop_rules: list[dict[str, Any]], atp_rules: list[dict[str, Any]] | None) -> list[list[dict[str, Any]]]:
    return [eop_rules] if atp_rules is None else [eop_rules, atp_rules]


def preset_covering_everyone(eop_rules: list[dict[str, Any]],
                             atp_rules: list[dict[str, Any]] | None = None) -> str | None:
    """``"Strict"`` or ``"Standard"`` when that preset's rules (EOP, and ATP when given) are enabled with no
    recipient conditions and no exceptions; else None."""
    for level in PRESETS:
        if all(_everyone(_rule(rules, level)) for rules in _rule_sets(eop_rules, atp_rules)):
            return level
    return None


def policies_in_force(policies: list[dict[str, Any]], eop_rules: list[dict[str, Any]],
                      atp_rules: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The policies to judge (see the module's note), in the order listed.

    Raises:
        KeyError: a rule or policy lacks ``Identity``, ``State`` or ``RecommendedPolicyType``.
    """
    rule_sets = _rule_sets(eop_rules, atp_rules)
    on = {level for level in PRESETS if all(_enabled(_rule(rules, level)) for rules in rule_sets)}
    presets = [p for p in policies if p["RecommendedPolicyType"] in on]
    if preset_covering_everyone(eop_rules, atp_rules) is not None:
        return presets
    return presets + [p for p in policies if p["RecommendedPolicyType"] not in PRESETS]


def judge(policies: list[dict[str, Any]], eop_rules: list[dict[str, Any]],
          atp_rules: list[dict[str, Any]] | None, problem: Callable[[dict[str, Any]], str | None]) -> Verdict:
    """Pass when ``problem`` finds nothing wrong with any policy in force; fail naming those it faults, or
    with reason ``no_policy`` when none is in force (ScubaGear fails that too)."""
    judged = policies_in_force(policies, eop_rules, atp_rules)
    faults = {str(p["Name"]): reason for p in judged if (reason := problem(p)) is not None}
    evidence = {"policies_judged": [str(p["Name"]) for p in judged], "failing": dict(sorted(faults.items())),
                "preset_covering_everyone": preset_covering_everyone(eop_rules, atp_rules)}
    if not judged:
        return Verdict.failed(evidence, reason="no_policy")
    if faults:
        return Verdict.failed(evidence, affected=sorted(faults))
    return Verdict.passed(evidence)
