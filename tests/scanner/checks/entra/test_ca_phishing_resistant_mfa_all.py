from scanner.checks import Status
from scanner.checks.entra.ca import phishing_resistant_mfa_all as check
from tests.scanner.checks.conftest import graph_value, run

MFA_ALL = "2a7d4e91-3c5b-4f8e-a6d2-1b9c0e7f3a25"


def with_phishing_resistant_strength_for_all(policies):
    admins = next(p for p in policies if p["displayName"].startswith("CA003"))
    mfa_all = next(p for p in policies if p["id"] == MFA_ALL)
    mfa_all["grantControls"] = admins["grantControls"]
    return policies


def test_fails_on_baseline_where_everyone_may_use_any_mfa():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_passes_when_all_users_policy_requires_phishing_resistant_strength():
    verdict = run(check, ca_policies=with_phishing_resistant_strength_for_all(graph_value("ca-policies")))
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [MFA_ALL]


def test_fails_when_strength_also_allows_sms():
    policies = with_phishing_resistant_strength_for_all(graph_value("ca-policies"))
    next(p for p in policies if p["id"] == MFA_ALL)["grantControls"]["authenticationStrength"][
        "allowedCombinations"
    ].append("sms")
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = with_phishing_resistant_strength_for_all(graph_value("ca-policies"))
    next(p for p in policies if p["id"] == MFA_ALL)["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.reason, verdict.affected) == ("report_only", [MFA_ALL])
