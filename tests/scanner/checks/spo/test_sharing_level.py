import pytest

from scanner.checks import Status
from scanner.checks.spo.sharing import level as check
from tests.scanner.checks.conftest import graph_body, run


def _settings(capability):
    body = graph_body("admin-sharepoint-settings")
    body["value"]["sharingCapability"] = capability
    return body


def test_fails_when_anyone_links_are_allowed():
    verdict = run(check, sharepoint_settings=graph_body("admin-sharepoint-settings"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"sharingCapability": "externalUserAndGuestSharing"}


@pytest.mark.parametrize("capability", ["disabled", "existingExternalUserSharingOnly", "externalUserSharingOnly"])
def test_passes_when_guests_must_sign_in(capability):
    assert run(check, sharepoint_settings=_settings(capability)).status is Status.PASS


def test_compares_without_case():
    assert run(check, sharepoint_settings=_settings("ExternalUserSharingOnly")).status is Status.PASS


def test_fails_on_a_value_it_does_not_know():
    assert run(check, sharepoint_settings=_settings("unknownFutureValue")).status is Status.FAIL


def test_reads_the_entity_at_top_level():
    entity = _settings("disabled")["value"]
    assert run(check, sharepoint_settings=entity).status is Status.PASS
