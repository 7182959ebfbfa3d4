import pytest

from scanner.checks import Status
from scanner.checks.exo.audit import unified_audit_log as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import exchange_value


def test_passes_when_the_unified_audit_log_records():
    verdict = run(check, exo_admin_audit_log_config=exchange_value("Get-AdminAuditLogConfig"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"UnifiedAuditLogIngestionEnabled": True}


def test_fails_when_ingestion_is_off():
    config = exchange_value("Get-AdminAuditLogConfig")
    config[0]["UnifiedAuditLogIngestionEnabled"] = False
    assert run(check, exo_admin_audit_log_config=config).status is Status.FAIL


def test_missing_property_is_an_error_not_a_pass():
    config = exchange_value("Get-AdminAuditLogConfig")
    del config[0]["UnifiedAuditLogIngestionEnabled"]
    with pytest.raises(KeyError):
        run(check, exo_admin_audit_log_config=config)
