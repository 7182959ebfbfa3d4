from scanner.checks import Status, TenantConfig
from scanner.checks.entra.ca import block_legacy_auth as check
from tests.scanner.checks.conftest import CONTOSO_BREAK_GLASS, graph_value, run

LEGACY = "1f0c6a2e-8b4d-4e7a-9c3f-5d2b7a9e4c10"
STRANGER = "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b"


def legacy_block(policies):
    return next(p for p in policies if p["id"] == LEGACY)


def test_passes_with_enforced_tenant_wide_block():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [LEGACY]
    assert verdict.evidence["break_glass"]["source"] == "configured"


def test_without_recorded_break_glass_accounts_their_exclusion_is_to_confirm_not_accepted():
    # The policy excludes the two accounts every policy excludes. Nothing is recorded for the tenant:
    # ScubaGear accepts no exclusion it was not told about, and neither do we; the verdict names them.
    verdict = run(check, config=TenantConfig(), ca_policies=graph_value("ca-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "break_glass_unconfirmed")
    assert verdict.affected == sorted(CONTOSO_BREAK_GLASS)
    assert verdict.evidence["break_glass"] == {"ids": [], "source": "unconfirmed",
                                               "candidates": sorted(CONTOSO_BREAK_GLASS)}
    assert [p["id"] for p in verdict.evidence["policies_awaiting_break_glass"]] == [LEGACY]


def test_with_one_policy_in_use_its_exclusions_are_not_taken_as_break_glass():
    # The old inference accepted every exclusion of a lone policy (each is "common to all").
    policies = [p for p in graph_value("ca-policies") if p["id"] == LEGACY]
    policies[0]["conditions"]["users"]["excludeUsers"].append("0c4e6a8b-1d3f-4b5d-8f7a-9c1e3b5d7f9a")
    verdict = run(check, config=TenantConfig(), ca_policies=policies)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "break_glass_unconfirmed")
    assert "0c4e6a8b-1d3f-4b5d-8f7a-9c1e3b5d7f9a" in verdict.affected  # named, to confirm or to remove


def test_fails_on_documented_example_with_only_a_disabled_policy():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_policy_is_report_only():
    policies = graph_value("ca-policies")
    legacy_block(policies)["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [LEGACY])


def test_fails_when_other_clients_are_not_covered():
    policies = graph_value("ca-policies")
    legacy_block(policies)["conditions"]["clientAppTypes"] = ["exchangeActiveSync"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_grants_instead_of_blocking():
    policies = graph_value("ca-policies")
    legacy_block(policies)["grantControls"]["builtInControls"] = ["mfa"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_block_applies_only_to_risky_sign_ins():
    policies = graph_value("ca-policies")
    legacy_block(policies)["conditions"]["signInRiskLevels"] = ["high"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_excludes_a_user_who_is_not_break_glass():
    policies = graph_value("ca-policies")
    legacy_block(policies)["conditions"]["users"]["excludeUsers"].append(STRANGER)
    config = TenantConfig(break_glass_ids=frozenset({"5d6a3f1e-2b4c-4e8f-9a7d-0c1b2e3f4a5b"}))
    verdict = run(check, config=config, ca_policies=policies)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "unapproved_exclusions")
    assert verdict.affected == sorted([STRANGER, "b7e2c9d4-6a1f-4c3e-8d5b-2f9a0e1c7d46"])
