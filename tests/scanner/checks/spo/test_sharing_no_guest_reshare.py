from scanner.checks import Status
from scanner.checks.spo.sharing import no_guest_reshare as check
from tests.scanner.checks.conftest import graph_body, run


def test_fails_when_guests_may_reshare():
    verdict = run(check, sharepoint_settings=graph_body("admin-sharepoint-settings"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"isResharingByExternalUsersEnabled": True}


def test_passes_when_resharing_is_off():
    body = graph_body("admin-sharepoint-settings")
    body["value"]["isResharingByExternalUsersEnabled"] = False
    assert run(check, sharepoint_settings=body).status is Status.PASS
