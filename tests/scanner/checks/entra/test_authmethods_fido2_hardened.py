from scanner.checks import Status
from scanner.checks.entra.authmethods import fido2_hardened as check
from tests.scanner.checks.conftest import graph_body, run

HARDENED = "policies-authenticationmethodspolicy-hardened"


def _fido2(policy):
    return next(c for c in policy["authenticationMethodConfigurations"] if c["id"] == "Fido2")


def test_fails_when_fido2_is_off_as_in_documented_example():
    verdict = run(check, auth_methods_policy=graph_body("policies-authenticationmethodspolicy"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "fido2_disabled")


def test_passes_with_attestation_and_an_allow_list():
    verdict = run(check, auth_methods_policy=graph_body(HARDENED))
    assert (verdict.status, verdict.reason) == (Status.PASS, None)


def test_fails_without_attestation():
    policy = graph_body(HARDENED)
    _fido2(policy)["isAttestationEnforced"] = False
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "not_hardened")
    assert verdict.affected == ["isAttestationEnforced"]


def test_fails_when_key_restrictions_are_not_enforced():
    policy = graph_body(HARDENED)
    _fido2(policy)["keyRestrictions"]["isEnforced"] = False
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "not_hardened")
    assert verdict.affected == ["keyRestrictions.isEnforced"]


def test_fails_when_the_key_list_is_empty():
    policy = graph_body(HARDENED)
    _fido2(policy)["keyRestrictions"]["aaGuids"] = []
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "not_hardened")
    assert verdict.affected == ["keyRestrictions.aaGuids"]
