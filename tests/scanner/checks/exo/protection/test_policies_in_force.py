"""Which protection policies are judged: a superset of the one ScubaGear picks, so no verdict is more
lenient (SecuritySuiteConfig.rego: the preset whose rule is enabled with no recipient conditions, else the
custom policy covering everyone, else the default)."""

from scanner.checks.exo.protection._policies import policies_in_force, preset_covering_everyone
from tests.scanner.checks.exo.conftest import by_identity, exchange_value


def _names(policies):
    return [p["Name"].split("1659")[0].strip() for p in policies]


def _everyone(rules, level):
    rule = by_identity(rules, f"{level} Preset Security Policy")
    rule.update(State="Enabled", RecipientDomainIs=None)
    return rules


def test_a_preset_on_for_one_domain_leaves_the_default_in_force():
    policies, rules = exchange_value("Get-MalwareFilterPolicy"), exchange_value("Get-EOPProtectionPolicyRule")
    assert preset_covering_everyone(rules) is None
    assert _names(policies_in_force(policies, rules)) == ["Standard Preset Security Policy", "Default"]


def test_a_preset_for_everyone_is_the_only_policy_in_force():
    policies = exchange_value("Get-MalwareFilterPolicy")
    rules = _everyone(exchange_value("Get-EOPProtectionPolicyRule"), "Strict")
    assert preset_covering_everyone(rules) == "Strict"
    assert _names(policies_in_force(policies, rules)) == ["Standard Preset Security Policy",
                                                          "Strict Preset Security Policy"]


def test_a_preset_with_exceptions_does_not_cover_everyone():
    # ScubaGear ignores the exceptions and judges the preset alone; the excluded users get the default.
    rules = _everyone(exchange_value("Get-EOPProtectionPolicyRule"), "Standard")
    by_identity(rules, "Standard Preset Security Policy")["ExceptIfSentToMemberOf"] = ["Executives"]
    assert preset_covering_everyone(rules) is None
    assert "Default" in _names(policies_in_force(exchange_value("Get-MalwareFilterPolicy"), rules))


def test_a_defender_preset_needs_both_its_rules():
    eop = _everyone(exchange_value("Get-EOPProtectionPolicyRule"), "Standard")
    atp = exchange_value("Get-ATPProtectionPolicyRule")
    assert preset_covering_everyone(eop) == "Standard"
    assert preset_covering_everyone(eop, atp) is None  # its Defender rule is on for contoso.com only
    atp = _everyone(atp, "Standard")
    assert preset_covering_everyone(eop, atp) == "Standard"


def test_a_disabled_preset_is_not_in_force():
    rules = exchange_value("Get-EOPProtectionPolicyRule")
    by_identity(rules, "Standard Preset Security Policy")["State"] = "Disabled"
    assert _names(policies_in_force(exchange_value("Get-MalwareFilterPolicy"), rules)) == ["Default"]
