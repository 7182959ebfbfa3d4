from scanner.checks import Status
from scanner.checks.entra.ca import phishing_resistant_mfa_admins as check
from tests.scanner.checks.conftest import graph_value, run

ADMINS = "8b3e1f52-4d7a-4c69-9e0b-6a2d5c8f1e37"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def admin_policy(policies):
    return next(p for p in policies if p["id"] == ADMINS)


def test_passes_with_phishing_resistant_strength_for_every_privileged_role():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [ADMINS]


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_admins_may_use_plain_mfa():
    policies = graph_value("ca-policies")
    admin_policy(policies)["grantControls"]["authenticationStrength"]["allowedCombinations"].append(
        "password,microsoftAuthenticatorPush"
    )
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_global_admin_is_not_targeted():
    policies = graph_value("ca-policies")
    admin_policy(policies)["conditions"]["users"]["includeRoles"].remove(GLOBAL_ADMIN)
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = graph_value("ca-policies")
    admin_policy(policies)["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [ADMINS])


def test_an_excluded_admin_who_is_not_break_glass_disqualifies_the_policy_as_scubagear_3_6_rules():
    # ScubaGear MS.AAD.3.6v1 (AADConfig.rego, with Utils/AAD.rego UserExclusionsFullyExempt): an excluded
    # user not listed as exempt fails the policy. We used to pass whatever the policy excluded.
    policies = graph_value("ca-policies")
    someone = "0b7e3c5a-1d2f-4e6a-9b8c-7d5e3f1a2b4c"
    admin_policy(policies)["conditions"]["users"]["excludeUsers"].append(someone)
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "unapproved_exclusions")
    assert someone in verdict.affected


def test_an_excluded_role_or_guests_disqualify_the_policy():
    policies = graph_value("ca-policies")
    admin_policy(policies)["conditions"]["users"]["excludeRoles"].append(GLOBAL_ADMIN)
    assert run(check, ca_policies=policies).status is Status.FAIL
    policies = graph_value("ca-policies")
    admin_policy(policies)["conditions"]["users"]["excludeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "internalGuest", "externalTenants": None}
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (
        Status.FAIL, "unapproved_exclusions", ["guests_or_external_users"])
