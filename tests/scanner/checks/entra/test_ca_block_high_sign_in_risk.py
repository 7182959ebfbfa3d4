from scanner.checks import Status
from scanner.checks.entra.ca import block_high_sign_in_risk as check
from tests.scanner.checks.conftest import graph_value, run

SIGN_IN_RISK = "4d1b8c63-2e9f-4a7d-8c0b-3f6e5a1d2c94"


def risk_policy(policies):
    return next(p for p in policies if p["id"] == SIGN_IN_RISK)


def test_passes_when_high_risk_sign_ins_are_blocked():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [SIGN_IN_RISK]


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_only_medium_risk_is_covered():
    policies = graph_value("ca-policies")
    risk_policy(policies)["conditions"]["signInRiskLevels"] = ["medium"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_risky_sign_ins_get_mfa_instead_of_block():
    policies = graph_value("ca-policies")
    risk_policy(policies)["grantControls"]["builtInControls"] = ["mfa"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_also_requires_user_risk():
    policies = graph_value("ca-policies")
    risk_policy(policies)["conditions"]["userRiskLevels"] = ["high"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = graph_value("ca-policies")
    risk_policy(policies)["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [SIGN_IN_RISK])
