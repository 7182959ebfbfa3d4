import pytest

from scanner.checks import Status
from scanner.checks.entra.passwords import never_expire as check
from tests.scanner.checks.conftest import graph_value, run


def _domain(domains: list[dict], domain_id: str) -> dict:
    return next(d for d in domains if d["id"] == domain_id)


def test_passes_with_explicit_never_and_implicit_default_and_ignores_federated_and_unverified():
    verdict = run(check, domains=graph_value("domains-passwordpolicy"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {
        "passwordValidityPeriodInDays": {"contoso.com": 2147483647, "contoso.onmicrosoft.com": "implicit_default"}
    }


def test_fails_when_a_managed_domain_expires_passwords():
    domains = graph_value("domains-passwordpolicy")
    _domain(domains, "contoso.com")["passwordValidityPeriodInDays"] = 90
    verdict = run(check, domains=domains)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["contoso.com"]


def test_not_applicable_when_no_verified_managed_domain():
    domains = [d for d in graph_value("domains-passwordpolicy") if d["authenticationType"] == "Federated"]
    verdict = run(check, domains=domains)
    assert (verdict.status, verdict.reason) == (Status.NOT_APPLICABLE, "no_managed_domains")


def test_documented_example_without_isverified_is_an_error_not_a_pass():
    with pytest.raises(KeyError):
        run(check, domains=graph_value("domains"))
