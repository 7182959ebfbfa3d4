from scanner.checks import Status
from scanner.checks.exo import dkim_enabled as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import by_identity, exchange_value


def _run(configs=None, accepted=None):
    return run(check, exo_dkim_configs=configs if configs is not None else exchange_value("Get-DkimSigningConfig"),
               exo_accepted_domains=accepted if accepted is not None else exchange_value("Get-AcceptedDomain"))


def test_fails_on_a_custom_domain_that_does_not_sign():
    verdict = _run()
    assert verdict.status is Status.FAIL
    assert verdict.reason is None
    assert verdict.affected == ["contoso.com"]
    assert verdict.evidence["without_config"] == []


def test_passes_when_every_domain_signs():
    configs = exchange_value("Get-DkimSigningConfig")
    by_identity(configs, "contoso.com")["Enabled"] = True
    verdict = _run(configs=configs)
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"accepted_domains": 2, "signing": 2, "without_config": []}


def test_an_accepted_domain_without_any_signing_config_fails_as_scubagear_3_1_rules():
    # ScubaGear MS.EXO.3.1v1 (EXOConfig.rego, DomainsWithDkim): every accepted domain needs an enabled
    # signing config; one with none at all is a violation. We used to judge only the configs returned.
    configs = exchange_value("Get-DkimSigningConfig")
    by_identity(configs, "contoso.com")["Enabled"] = True
    accepted = exchange_value("Get-AcceptedDomain")
    accepted.append({**accepted[1], "DomainName": "Fabrikam.com", "Identity": "fabrikam.com", "Default": False})
    verdict = _run(configs=configs, accepted=accepted)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["fabrikam.com"]
    assert verdict.evidence["without_config"] == ["fabrikam.com"]


def test_a_config_for_a_domain_no_longer_accepted_is_not_judged():
    configs = exchange_value("Get-DkimSigningConfig")
    by_identity(configs, "contoso.com")["Enabled"] = True
    configs.append({**configs[1], "Domain": "old.example", "Identity": "old.example", "Enabled": False})
    assert _run(configs=configs).status is Status.PASS


def test_fails_when_no_domain_is_accepted():
    verdict = _run(configs=[], accepted=[])
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_accepted_domain")
