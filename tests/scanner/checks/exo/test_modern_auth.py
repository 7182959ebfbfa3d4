from scanner.checks import Status
from scanner.checks.exo import modern_auth as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import exchange_value


def test_passes_when_oauth_is_on_for_outlook():
    verdict = run(check, exo_organization_config=exchange_value("Get-OrganizationConfig"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"OAuth2ClientProfileEnabled": True}


def test_fails_when_modern_auth_is_off():
    config = exchange_value("Get-OrganizationConfig")
    config[0]["OAuth2ClientProfileEnabled"] = False
    assert run(check, exo_organization_config=config).status is Status.FAIL
