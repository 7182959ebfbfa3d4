from scanner.checks import Status
from scanner.checks.entra.ca import mfa_all_users as check
from tests.scanner.checks.conftest import graph_value, run

MFA_ALL = "2a7d4e91-3c5b-4f8e-a6d2-1b9c0e7f3a25"


def mfa_all(policies):
    return next(p for p in policies if p["id"] == MFA_ALL)


def test_passes_with_enforced_mfa_for_all_users_and_apps():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [MFA_ALL]


def test_passes_with_an_authentication_strength_instead_of_mfa():
    policies = graph_value("ca-policies")
    admins = next(p for p in policies if p["displayName"].startswith("CA003"))
    mfa_all(policies)["grantControls"] = admins["grantControls"]
    mfa_all(policies)["grantControls"]["builtInControls"] = []
    assert run(check, ca_policies=policies).status is Status.PASS


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_policy_is_report_only():
    policies = graph_value("ca-policies")
    mfa_all(policies)["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [MFA_ALL])


def test_high_user_risk_policy_with_mfa_does_not_count():
    policies = graph_value("ca-policies")
    mfa_all(policies)["state"] = "disabled"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_an_app_is_excluded():
    policies = graph_value("ca-policies")
    mfa_all(policies)["conditions"]["applications"]["excludeApplications"] = ["00000002-0000-0ff1-ce00-000000000000"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"
