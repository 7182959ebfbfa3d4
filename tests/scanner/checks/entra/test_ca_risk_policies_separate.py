from scanner.checks import Status
from scanner.checks.entra.ca import risk_policies_separate as check
from tests.scanner.checks.conftest import graph_value, run

USER_RISK = "5e2c9d74-3f0a-4b8e-9d1c-4a7f6b2e3d05"


def test_passes_when_each_policy_handles_one_kind_of_risk():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"enforced_policies_read": 9}


def test_fails_and_names_policy_combining_both_risks():
    policies = graph_value("ca-policies")
    next(p for p in policies if p["id"] == USER_RISK)["conditions"]["signInRiskLevels"] = ["high"]
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.affected) == (Status.FAIL, [USER_RISK])


def test_report_only_policy_combining_both_risks_is_not_counted():
    policies = graph_value("ca-policies")
    combined = next(p for p in policies if p["id"] == USER_RISK)
    combined["conditions"]["signInRiskLevels"] = ["high"]
    combined["state"] = "enabledForReportingButNotEnforced"
    assert run(check, ca_policies=policies).status is Status.PASS
