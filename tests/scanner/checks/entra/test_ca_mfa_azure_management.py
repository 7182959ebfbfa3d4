from scanner.checks import Status
from scanner.checks.entra.ca import mfa_azure_management as check
from tests.scanner.checks.conftest import graph_value, run

MFA_ALL = "2a7d4e91-3c5b-4f8e-a6d2-1b9c0e7f3a25"
AZURE_MANAGEMENT = "797f4846-ba00-4fd7-ba43-dac1f8f63013"


def mfa_all_only():
    return [p for p in graph_value("ca-policies") if p["id"] == MFA_ALL]


def test_passes_with_all_apps_mfa_policy():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [MFA_ALL]


def test_passes_with_policy_for_the_azure_management_app():
    policies = mfa_all_only()
    policies[0]["conditions"]["applications"]["includeApplications"] = [AZURE_MANAGEMENT]
    assert run(check, ca_policies=policies).status is Status.PASS


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_all_apps_policy_excludes_azure_management():
    policies = mfa_all_only()
    policies[0]["conditions"]["applications"]["excludeApplications"] = [AZURE_MANAGEMENT]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_covers_only_some_users():
    policies = mfa_all_only()
    policies[0]["conditions"]["users"]["includeUsers"] = []
    policies[0]["conditions"]["users"]["includeGroups"] = ["c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = mfa_all_only()
    policies[0]["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [MFA_ALL])
