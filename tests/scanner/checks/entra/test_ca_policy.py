"""The shared Conditional Access rules in scanner/checks/entra/ca/_policy.py.

Policies come from tests/fixtures/graph/ca-policies.json (a baseline tenant built on the doc example's
shape); each case changes one field.
"""

import pytest

from scanner.checks import Status, TenantConfig
from scanner.checks.entra.ca import _policy
from tests.scanner.checks.conftest import graph_value

BG_USER = "5d6a3f1e-2b4c-4e8f-9a7d-0c1b2e3f4a5b"
BG_GROUP = "b7e2c9d4-6a1f-4c3e-8d5b-2f9a0e1c7d46"
MFA_ALL = "2a7d4e91-3c5b-4f8e-a6d2-1b9c0e7f3a25"
ADMINS = "8b3e1f52-4d7a-4c69-9e0b-6a2d5c8f1e37"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
STRANGER = "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b"


def named(prefix):
    return next(p for p in graph_value("ca-policies") if p["displayName"].startswith(prefix))


def test_inferred_break_glass_ids_are_exclusions_common_to_every_policy_in_use():
    assert _policy.infer_break_glass_ids(graph_value("ca-policies")) == {BG_USER, BG_GROUP}


def test_disabled_policies_do_not_narrow_the_inferred_set():
    policies = graph_value("ca-policies")
    policies[1]["state"] = "disabled"
    policies[1]["conditions"]["users"]["excludeGroups"] = []
    assert _policy.infer_break_glass_ids(policies) == {BG_USER, BG_GROUP}


def test_a_policy_in_use_without_the_group_removes_it_from_the_inferred_set():
    policies = graph_value("ca-policies")
    policies[1]["conditions"]["users"]["excludeGroups"] = []
    assert _policy.infer_break_glass_ids(policies) == {BG_USER}


def test_no_policy_in_use_infers_nothing():
    assert _policy.infer_break_glass_ids(graph_value("identity-conditionalaccess-policies")) == frozenset()


def test_configured_break_glass_ids_win_over_inferred():
    bg = _policy.break_glass(graph_value("ca-policies"), TenantConfig(break_glass_ids=frozenset({BG_USER})))
    assert (bg.ids, bg.source) == ({BG_USER}, "configured")


def test_unapproved_exclusions_list_non_break_glass_principals_and_every_role():
    policy = named("CA002")
    policy["conditions"]["users"]["excludeRoles"] = [GLOBAL_ADMIN]
    assert _policy.unapproved_exclusions(policy, frozenset({BG_USER})) == sorted([BG_GROUP, GLOBAL_ADMIN])


def test_ca_base_accepts_the_baseline_mfa_policy():
    assert _policy.is_ca_base(named("CA002"), frozenset({BG_USER, BG_GROUP}))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("state",), "enabledForReportingButNotEnforced"),
        (("conditions", "users", "includeUsers"), [STRANGER]),
        (("conditions", "applications", "includeApplications"), ["Office365"]),
        (("conditions", "applications", "excludeApplications"), ["00000002-0000-0ff1-ce00-000000000000"]),
        (("conditions", "users", "excludeUsers"), [BG_USER, STRANGER]),
    ],
)
def test_ca_base_rejects(path, value):
    policy = named("CA002")
    target = policy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not _policy.is_ca_base(policy, frozenset({BG_USER, BG_GROUP}))


def test_admin_policy_targets_every_privileged_role():
    assert _policy.targets_privileged_roles(named("CA003"))


def test_admin_policy_missing_one_role_does_not_target_admins():
    policy = named("CA003")
    policy["conditions"]["users"]["includeRoles"].remove(GLOBAL_ADMIN)
    assert not _policy.targets_privileged_roles(policy)


def test_all_users_policy_excluding_a_privileged_role_does_not_target_admins():
    policy = named("CA002")
    policy["conditions"]["users"]["excludeRoles"] = [GLOBAL_ADMIN]
    assert not _policy.targets_privileged_roles(policy)


def test_all_users_policy_targets_admins():
    assert _policy.targets_privileged_roles(named("CA002"))


def test_authentication_strength_counts_as_mfa():
    assert _policy.requires_mfa(named("CA003"))


def test_session_only_policy_requires_nothing():
    policy = named("CA002")
    policy["grantControls"] = None
    assert not _policy.requires_mfa(policy)
    assert not _policy.blocks(policy)


def test_built_in_phishing_resistant_strength_is_phishing_resistant():
    assert _policy.requires_phishing_resistant_mfa(named("CA003"))


def test_strength_allowing_sms_is_not_phishing_resistant():
    policy = named("CA003")
    policy["grantControls"]["authenticationStrength"]["allowedCombinations"].append("password,sms")
    assert not _policy.requires_phishing_resistant_mfa(policy)


def test_strength_with_no_combinations_is_not_phishing_resistant():
    policy = named("CA003")
    policy["grantControls"]["authenticationStrength"]["allowedCombinations"] = []
    assert not _policy.requires_phishing_resistant_mfa(policy)


def test_plain_mfa_is_not_phishing_resistant():
    assert not _policy.requires_phishing_resistant_mfa(named("CA002"))


def test_transfer_methods_split_the_flags_string():
    assert _policy.transfer_methods(named("CA007")) == {"deviceCodeFlow", "authenticationTransfer"}


def test_absent_authentication_flows_is_no_condition():
    policy = named("CA002")
    assert "authenticationFlows" not in policy["conditions"]
    assert _policy.transfer_methods(policy) == set()
    assert _policy.extra_conditions(policy) == set()


def test_risk_and_flow_conditions_narrow_a_policy_unless_allowed():
    assert _policy.extra_conditions(named("CA006")) == {"userRiskLevels"}
    assert _policy.extra_conditions(named("CA006"), allowed=("userRiskLevels",)) == set()
    assert _policy.extra_conditions(named("CA007")) == {"authenticationFlows"}


def test_risk_limited_mfa_is_not_mfa_for_everyone():
    assert not _policy.is_mfa_for_everyone(named("CA006"))


def test_find_passes_with_enforced_match_and_names_it():
    verdict = _policy.find(graph_value("ca-policies"), lambda p: p["id"] == MFA_ALL)
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [MFA_ALL]


def test_find_fails_report_only_match_and_names_it():
    policies = graph_value("ca-policies")
    next(p for p in policies if p["id"] == MFA_ALL)["state"] = "enabledForReportingButNotEnforced"
    verdict = _policy.find(policies, lambda p: p["id"] == MFA_ALL)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, _policy.REPORT_ONLY, [MFA_ALL])


def test_find_ignores_disabled_policies():
    policies = graph_value("ca-policies")
    next(p for p in policies if p["id"] == MFA_ALL)["state"] = "disabled"
    verdict = _policy.find(policies, lambda p: p["id"] == MFA_ALL)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, _policy.NO_MATCH, [])
    assert len(verdict.evidence["policies_read"]) == len(policies)


def test_find_ca_base_fails_on_unapproved_exclusion_and_lists_it():
    policies = graph_value("ca-policies")
    next(p for p in policies if p["id"] == MFA_ALL)["conditions"]["users"]["excludeUsers"].append(STRANGER)
    config = TenantConfig(break_glass_ids=frozenset({BG_USER, BG_GROUP}))
    verdict = _policy.find_ca_base(policies, _policy.is_mfa_for_everyone, config)
    assert (verdict.status, verdict.reason, verdict.affected) == (
        Status.FAIL,
        _policy.UNAPPROVED_EXCLUSIONS,
        [STRANGER],
    )
    assert verdict.evidence["break_glass"] == {"ids": sorted([BG_USER, BG_GROUP]), "source": "configured",
                                               "candidates": []}


def test_find_ca_base_ignores_policies_not_covering_all_users():
    policies = graph_value("ca-policies")
    next(p for p in policies if p["id"] == MFA_ALL)["conditions"]["users"]["includeUsers"] = [STRANGER]
    verdict = _policy.find_ca_base(policies, _policy.is_mfa_for_everyone, TenantConfig())
    assert (verdict.status, verdict.reason) == (Status.FAIL, _policy.NO_MATCH)


def test_a_malformed_policy_raises_even_after_a_match():
    policies = graph_value("ca-policies")
    del policies[-1]["conditions"]["users"]["includeUsers"]
    with pytest.raises(KeyError):
        _policy.find(policies, _policy.targets_all_users)


def test_without_configured_ids_none_is_accepted_and_the_common_ones_are_candidates():
    bg = _policy.break_glass(graph_value("ca-policies"), TenantConfig())
    assert (bg.ids, bg.source, bg.candidates) == (frozenset(), "unconfirmed", {BG_USER, BG_GROUP})


def test_an_exclusion_beyond_the_candidates_is_unapproved_not_unconfirmed():
    policies = graph_value("ca-policies")
    next(p for p in policies if p["id"] == MFA_ALL)["conditions"]["users"]["excludeUsers"].append(STRANGER)
    verdict = _policy.find_ca_base(policies, _policy.is_mfa_for_everyone, TenantConfig())
    assert verdict.reason == _policy.UNAPPROVED_EXCLUSIONS and STRANGER in verdict.affected
