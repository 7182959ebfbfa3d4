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


def _with_strength(policies, combinations):
    mfa_all(policies)["grantControls"] = {
        "operator": "OR", "builtInControls": [], "customAuthenticationFactors": [], "termsOfUse": [],
        "authenticationStrength": {"id": "7d3b1c2e-0000-4000-8000-000000000001", "displayName": "Custom",
                                   "policyType": "custom", "requirementsSatisfied": "mfa",
                                   "allowedCombinations": combinations}}
    return policies


def test_a_strength_that_allows_a_password_alone_is_not_mfa():
    # MS.AAD.3.2: the policy must require MFA. A custom strength allowing "password" (or "sms"
    # sign-in) alone lets a single factor through: no policy requires MFA, whatever its name says.
    for single in (["password"], ["sms"], ["password,microsoftAuthenticatorPush", "email"]):
        verdict = run(check, ca_policies=_with_strength(graph_value("ca-policies"), single))
        assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy"), single


def test_a_strength_of_only_multifactor_combinations_is_mfa():
    combinations = ["password,microsoftAuthenticatorPush", "password,sms", "fido2", "deviceBasedPush",
                    "temporaryAccessPassOneTime"]
    assert run(check, ca_policies=_with_strength(graph_value("ca-policies"), combinations)).status is Status.PASS


def test_an_empty_or_unknown_strength_is_not_mfa():
    assert run(check, ca_policies=_with_strength(graph_value("ca-policies"), [])).status is Status.FAIL
    assert run(check, ca_policies=_with_strength(graph_value("ca-policies"), ["futureMethod"])).status is Status.FAIL


def test_excluding_guests_is_an_unapproved_exclusion():
    # MS.AAD.3.2 covers every user; a policy that leaves guests or external users out does not.
    policies = graph_value("ca-policies")
    mfa_all(policies)["conditions"]["users"]["excludeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "b2bCollaborationGuest,b2bCollaborationMember",
        "externalTenants": {"@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
                            "membershipKind": "all"}}
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "unapproved_exclusions")
    assert "guests_or_external_users" in verdict.affected


def test_a_missing_guest_exclusion_field_means_nobody_is_excluded():
    policies = graph_value("ca-policies")
    del mfa_all(policies)["conditions"]["users"]["excludeGuestsOrExternalUsers"]
    assert run(check, ca_policies=policies).status is Status.PASS
