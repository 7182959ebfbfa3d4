from scanner.checks import Status, TenantConfig
from scanner.checks.entra.ca import break_glass_excluded as check
from tests.scanner.checks.conftest import graph_value, run

BG_USER = "5d6a3f1e-2b4c-4e8f-9a7d-0c1b2e3f4a5b"
BG_GROUP = "b7e2c9d4-6a1f-4c3e-8d5b-2f9a0e1c7d46"
LEGACY = "1f0c6a2e-8b4d-4e7a-9c3f-5d2b7a9e4c10"
CONFIGURED = TenantConfig(break_glass_ids=frozenset({"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", BG_GROUP}))


def legacy_block(policies):
    return next(p for p in policies if p["id"] == LEGACY)


def test_passes_with_inferred_break_glass_common_to_every_policy():
    # Nothing recorded: this check (MT.1005) still asks only that some account be excluded from all.
    verdict = run(check, config=TenantConfig(), ca_policies=graph_value("ca-policies"))
    assert (verdict.status, verdict.reason) == (Status.PASS, "inferred_break_glass")
    assert verdict.evidence["break_glass"] == {"ids": [], "source": "unconfirmed",
                                               "candidates": sorted([BG_USER, BG_GROUP])}
    assert len(verdict.evidence["policies_checked"]) == 9


def test_fails_when_no_exclusion_is_common_and_names_the_policy_excluding_nobody():
    policies = graph_value("ca-policies")
    legacy_block(policies)["conditions"]["users"]["excludeUsers"] = []
    legacy_block(policies)["conditions"]["users"]["excludeGroups"] = []
    verdict = run(check, config=TenantConfig(), ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "no_common_exclusion", [LEGACY])


def test_passes_when_every_policy_excludes_a_configured_id():
    verdict = run(check, config=CONFIGURED, ca_policies=graph_value("ca-policies"))
    assert (verdict.status, verdict.reason) == (Status.PASS, None)
    assert verdict.evidence["break_glass"]["source"] == "configured"


def test_fails_and_names_policy_missing_a_configured_id():
    policies = graph_value("ca-policies")
    legacy_block(policies)["conditions"]["users"]["excludeGroups"] = []
    verdict = run(check, config=CONFIGURED, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "missing_exclusion", [LEGACY])


def test_report_only_policies_must_exclude_break_glass_too():
    policies = graph_value("ca-policies")
    legacy_block(policies)["state"] = "enabledForReportingButNotEnforced"
    legacy_block(policies)["conditions"]["users"]["excludeGroups"] = []
    assert run(check, config=CONFIGURED, ca_policies=policies).affected == [LEGACY]


def test_not_applicable_when_every_policy_is_disabled():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.NOT_APPLICABLE, "no_policies")
