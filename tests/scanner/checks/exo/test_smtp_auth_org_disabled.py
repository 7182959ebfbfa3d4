import pytest

from scanner.checks import Status
from scanner.checks.exo.smtp_auth import org_disabled as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import exchange_value


def test_passes_when_smtp_auth_is_off_for_the_organisation():
    verdict = run(check, exo_transport_config=exchange_value("Get-TransportConfig"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"SmtpClientAuthenticationDisabled": True}


def test_fails_when_smtp_auth_is_on():
    config = exchange_value("Get-TransportConfig")
    config[0]["SmtpClientAuthenticationDisabled"] = False
    verdict = run(check, exo_transport_config=config)
    assert verdict.status is Status.FAIL
    assert verdict.affected == []


def test_missing_property_is_an_error_not_a_pass():
    config = exchange_value("Get-TransportConfig")
    del config[0]["SmtpClientAuthenticationDisabled"]
    with pytest.raises(KeyError):
        run(check, exo_transport_config=config)


def test_empty_cmdlet_output_is_an_error_not_a_pass():
    with pytest.raises(KeyError):
        run(check, exo_transport_config=[])
