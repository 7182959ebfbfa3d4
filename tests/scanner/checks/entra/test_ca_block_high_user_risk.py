from scanner.checks import Status
from scanner.checks.entra.ca import block_high_user_risk as check
from tests.scanner.checks.conftest import graph_value, run

USER_RISK = "5e2c9d74-3f0a-4b8e-9d1c-4a7f6b2e3d05"


def risk_policy(policies):
    return next(p for p in policies if p["id"] == USER_RISK)


def test_passes_when_high_risk_users_must_change_password_with_mfa():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [USER_RISK]


def test_passes_when_high_risk_users_are_blocked():
    policies = graph_value("ca-policies")
    risk_policy(policies)["grantControls"]["builtInControls"] = ["block"]
    assert run(check, ca_policies=policies).status is Status.PASS


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_password_change_is_not_required():
    policies = graph_value("ca-policies")
    risk_policy(policies)["grantControls"]["builtInControls"] = ["mfa"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_high_user_risk_is_not_a_condition():
    policies = graph_value("ca-policies")
    risk_policy(policies)["conditions"]["userRiskLevels"] = ["medium"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = graph_value("ca-policies")
    risk_policy(policies)["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [USER_RISK])
