import pytest

from scanner.checks import Status
from scanner.checks.entra.secdef import enabled as check
from tests.scanner.checks.conftest import graph_body, graph_value, run

LEGACY = "1f0c6a2e-8b4d-4e7a-9c3f-5d2b7a9e4c10"
MFA_ALL = "2a7d4e91-3c5b-4f8e-a6d2-1b9c0e7f3a25"
# /organization has no fixture; detect_gates reads only onPremisesSyncEnabled from it.
ORGANIZATION = [{"id": "84841066-274d-4ec0-a5c1-276be684bdd3", "onPremisesSyncEnabled": None}]
ENTRA_P1_PLAN = {
    "servicePlanId": "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
    "servicePlanName": "AAD_PREMIUM",
    "provisioningStatus": "Success",
    "appliesTo": "User",
}


def security_defaults(is_enabled):
    body = graph_body("policies-identitysecuritydefaultsenforcementpolicy")
    body["isEnabled"] = is_enabled
    return body


def skus_with_p1():
    skus = graph_value("subscribedskus")
    skus[0]["servicePlans"].append(dict(ENTRA_P1_PLAN))
    return skus


def evaluate(is_enabled, skus, policies):
    return run(
        check,
        security_defaults=security_defaults(is_enabled),
        subscribed_skus=skus,
        organization=ORGANIZATION,
        ca_policies=policies,
    )


def test_passes_when_security_defaults_are_on():
    verdict = evaluate(True, graph_value("subscribedskus"), graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.evidence) == (Status.PASS, {"isEnabled": True})


def test_fails_when_off_without_entra_p1_even_with_ca_policies():
    verdict = evaluate(False, graph_value("subscribedskus"), graph_value("ca-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "disabled_without_entra_p1")


def test_passes_when_off_and_ca_blocks_legacy_auth_and_requires_mfa():
    verdict = evaluate(False, skus_with_p1(), graph_value("ca-policies"))
    assert (verdict.status, verdict.reason) == (Status.PASS, "replaced_by_conditional_access")
    assert [p["id"] for p in verdict.evidence["legacy_auth_blocked_by"]] == [LEGACY]
    assert [p["id"] for p in verdict.evidence["mfa_required_by"]] == [MFA_ALL]


@pytest.mark.parametrize("missing", [LEGACY, MFA_ALL])
def test_fails_when_off_and_one_ca_baseline_policy_is_report_only(missing):
    policies = graph_value("ca-policies")
    next(p for p in policies if p["id"] == missing)["state"] = "enabledForReportingButNotEnforced"
    verdict = evaluate(False, skus_with_p1(), policies)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "disabled_without_ca_baseline")


def test_fails_when_off_with_p1_and_no_ca_policy():
    verdict = evaluate(False, skus_with_p1(), graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "disabled_without_ca_baseline")
