from scanner.checks import Status
from scanner.checks.entra.ca import mfa_admins as check
from tests.scanner.checks.conftest import graph_value, run

MFA_ALL = "2a7d4e91-3c5b-4f8e-a6d2-1b9c0e7f3a25"
ADMINS = "8b3e1f52-4d7a-4c69-9e0b-6a2d5c8f1e37"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def admin_policy_only():
    return [p for p in graph_value("ca-policies") if p["id"] == ADMINS]


def test_passes_with_all_users_policy_and_role_policy():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert sorted(p["id"] for p in verdict.evidence["matching_policies"]) == sorted([MFA_ALL, ADMINS])


def test_passes_with_role_targeted_policy_alone():
    assert run(check, ca_policies=admin_policy_only()).status is Status.PASS


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_a_privileged_role_is_left_out():
    policies = admin_policy_only()
    policies[0]["conditions"]["users"]["includeRoles"].remove(GLOBAL_ADMIN)
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_a_privileged_role_is_excluded():
    policies = admin_policy_only()
    policies[0]["conditions"]["users"]["excludeRoles"] = [GLOBAL_ADMIN]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_not_all_apps_are_covered():
    policies = admin_policy_only()
    policies[0]["conditions"]["applications"]["includeApplications"] = ["Office365"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_grants_no_mfa():
    policies = admin_policy_only()
    policies[0]["grantControls"]["authenticationStrength"] = None
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = admin_policy_only()
    policies[0]["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [ADMINS])
