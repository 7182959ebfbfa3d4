import pytest

from scanner.checks import Status
from scanner.checks.spo import legacy_auth_disabled as check
from tests.scanner.checks.conftest import graph_body, run


def test_passes_when_legacy_protocols_are_blocked():
    verdict = run(check, sharepoint_settings=graph_body("admin-sharepoint-settings"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"isLegacyAuthProtocolsEnabled": False}


def test_fails_when_legacy_protocols_are_allowed():
    body = graph_body("admin-sharepoint-settings")
    body["value"]["isLegacyAuthProtocolsEnabled"] = True
    assert run(check, sharepoint_settings=body).status is Status.FAIL


def test_missing_field_is_an_error_not_a_pass():
    body = graph_body("admin-sharepoint-settings")
    del body["value"]["isLegacyAuthProtocolsEnabled"]
    with pytest.raises(KeyError):
        run(check, sharepoint_settings=body)
