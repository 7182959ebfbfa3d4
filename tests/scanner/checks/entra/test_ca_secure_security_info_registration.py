from scanner.checks import Status
from scanner.checks.entra.ca import secure_security_info_registration as check
from tests.scanner.checks.conftest import graph_value, run

REGISTRATION = "9b5f2a07-6c3d-4e1b-8a4f-7d0c9e5b6a38"


def registration_policy(policies):
    return next(p for p in policies if p["id"] == REGISTRATION)


def _device_based(policies):
    registration_policy(policies)["conditions"]["locations"] = None
    registration_policy(policies)["grantControls"]["builtInControls"] = ["compliantDevice"]
    return policies


def test_blocking_registration_outside_trusted_locations_is_not_enough_as_scubagear_3_8_rules():
    # ScubaGear MS.AAD.3.8v1 accepts only a managed-device control; we used to accept the location form
    # (Maester MT.1011 does), which made us more lenient than the SCuBA rule we cite.
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "trusted_locations_only",
                                                                  [REGISTRATION])


def test_passes_when_registration_requires_a_compliant_device():
    assert run(check, ca_policies=_device_based(graph_value("ca-policies"))).status is Status.PASS


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_registration_is_blocked_everywhere_but_no_location_is_trusted():
    policies = graph_value("ca-policies")
    registration_policy(policies)["conditions"]["locations"]["excludeLocations"] = []
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_does_not_cover_the_registration_action():
    policies = graph_value("ca-policies")
    registration_policy(policies)["conditions"]["applications"]["includeUserActions"] = ["urn:user:registerdevice"]
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = _device_based(graph_value("ca-policies"))
    registration_policy(policies)["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [REGISTRATION])


def test_an_excluded_group_that_is_not_break_glass_disqualifies_the_policy_as_scubagear_3_8_rules():
    # ScubaGear MS.AAD.3.8v1 (AADConfig.rego, GroupExclusionsFullyExempt): an excluded group not listed
    # as exempt fails the policy; we used to ignore exclusions here.
    policies = _device_based(graph_value("ca-policies"))
    group = "5c2e8a1f-3b7d-4f9e-a6c4-2d8b0e6f4a1c"
    registration_policy(policies)["conditions"]["users"]["excludeGroups"].append(group)
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "unapproved_exclusions")
    assert group in verdict.affected
