from scanner.checks import Status
from scanner.checks.spo.sharing import domain_restricted as check
from tests.scanner.checks.conftest import graph_body, run


def _run(**changes):
    body = graph_body("admin-sharepoint-settings")
    body["value"].update(changes)
    return run(check, sharepoint_settings=body)


def test_passes_with_a_non_empty_allow_list():
    verdict = _run()
    assert verdict.status is Status.PASS
    assert verdict.evidence["sharingAllowedDomainList"] == ["contoso.com", "fabrikam.com"]


def test_fails_with_an_empty_allow_list():
    assert _run(sharingAllowedDomainList=[]).status is Status.FAIL


def test_passes_with_a_non_empty_block_list():
    verdict = _run(sharingDomainRestrictionMode="blockList")
    assert verdict.status is Status.PASS
    assert "sharingBlockedDomainList" in verdict.evidence


def test_fails_with_an_empty_block_list():
    assert _run(sharingDomainRestrictionMode="blockList", sharingBlockedDomainList=None).status is Status.FAIL


def test_fails_when_sharing_is_not_limited_by_domain():
    verdict = _run(sharingDomainRestrictionMode="none")
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"sharingDomainRestrictionMode": "none"}


def test_not_applicable_when_external_sharing_is_off():
    verdict = _run(sharingCapability="disabled")
    assert verdict.status is Status.NOT_APPLICABLE
    assert verdict.reason == "sharing_disabled"
