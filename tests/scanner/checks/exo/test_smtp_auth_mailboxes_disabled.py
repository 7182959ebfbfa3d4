from scanner.checks import Status
from scanner.checks.exo.smtp_auth import mailboxes_disabled as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import by_identity, exchange_value


def _run(cas=None, transport=None):
    return run(
        check,
        exo_cas_mailboxes=cas if cas is not None else exchange_value("Get-CASMailbox"),
        exo_transport_config=transport if transport is not None else exchange_value("Get-TransportConfig"),
    )


def test_fails_on_a_mailbox_that_re_enables_smtp_auth_against_the_organisation():
    verdict = _run()
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["info@contoso.com"]
    assert verdict.evidence["allowed_explicitly"] == 1


def test_passes_when_every_mailbox_follows_an_organisation_that_turned_it_off():
    cas = exchange_value("Get-CASMailbox")
    by_identity(cas, "info")["SmtpClientAuthenticationDisabled"] = None
    assert _run(cas=cas).status is Status.PASS


def test_mailboxes_without_their_own_setting_inherit_an_enabled_organisation():
    cas = exchange_value("Get-CASMailbox")
    by_identity(cas, "info")["SmtpClientAuthenticationDisabled"] = None
    transport = exchange_value("Get-TransportConfig")
    transport[0]["SmtpClientAuthenticationDisabled"] = False
    verdict = _run(cas=cas, transport=transport)
    assert verdict.status is Status.FAIL
    # MeganB turned it off for herself, which wins over the organisation.
    assert verdict.affected == ["AdeleV@contoso.com", "AlexW@contoso.com", "info@contoso.com"]
    assert verdict.evidence["allowed_by_inheritance"] == 3
