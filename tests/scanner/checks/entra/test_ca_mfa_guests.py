from scanner.checks import Status
from scanner.checks.entra.ca import mfa_guests as check
from tests.scanner.checks.conftest import graph_value, run

MFA_ALL = "2a7d4e91-3c5b-4f8e-a6d2-1b9c0e7f3a25"
GUESTS = "3c9e2b74-6f1a-4d8c-b5e7-0a4d2f6c9b81"


def guest_policy_only():
    return [p for p in graph_value("ca-policies") if p["id"] == GUESTS]


def test_passes_with_all_users_policy_and_guest_policy():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert sorted(p["id"] for p in verdict.evidence["matching_policies"]) == sorted([MFA_ALL, GUESTS])


def test_passes_with_guests_or_external_users_keyword():
    policies = guest_policy_only()
    policies[0]["conditions"]["users"]["includeGuestsOrExternalUsers"] = None
    policies[0]["conditions"]["users"]["includeUsers"] = ["GuestsOrExternalUsers"]
    assert run(check, ca_policies=policies).status is Status.PASS


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_policy_does_not_include_guests():
    policies = guest_policy_only()
    policies[0]["conditions"]["users"]["includeGuestsOrExternalUsers"] = None
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_all_users_policy_excludes_guests():
    policies = [p for p in graph_value("ca-policies") if p["id"] == MFA_ALL]
    guests = guest_policy_only()[0]["conditions"]["users"]["includeGuestsOrExternalUsers"]
    policies[0]["conditions"]["users"]["excludeGuestsOrExternalUsers"] = guests
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = guest_policy_only()
    policies[0]["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [GUESTS])
