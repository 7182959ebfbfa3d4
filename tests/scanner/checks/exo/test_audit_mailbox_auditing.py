from scanner.checks import Status
from scanner.checks.exo.audit import mailbox_auditing as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import exchange_value


def test_passes_when_auditing_is_not_disabled():
    verdict = run(check, exo_organization_config=exchange_value("Get-OrganizationConfig"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"AuditDisabled": False}


def test_fails_when_the_organisation_disables_auditing():
    config = exchange_value("Get-OrganizationConfig")
    config[0]["AuditDisabled"] = True
    assert run(check, exo_organization_config=config).status is Status.FAIL
