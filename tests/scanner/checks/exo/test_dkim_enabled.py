from scanner.checks import Status
from scanner.checks.exo import dkim_enabled as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import by_identity, exchange_value


def test_fails_on_a_custom_domain_that_does_not_sign():
    verdict = run(check, exo_dkim_configs=exchange_value("Get-DkimSigningConfig"))
    assert verdict.status is Status.FAIL
    assert verdict.reason is None
    assert verdict.affected == ["contoso.com"]


def test_passes_when_every_domain_signs():
    configs = exchange_value("Get-DkimSigningConfig")
    by_identity(configs, "contoso.com")["Enabled"] = True
    verdict = run(check, exo_dkim_configs=configs)
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"configs_read": 2, "signing": 2}


def test_fails_when_there_is_no_signing_config():
    verdict = run(check, exo_dkim_configs=[])
    assert verdict.status is Status.FAIL
    assert verdict.reason == "no_dkim_config"
