from scanner.checks import Status
from scanner.checks.entra.guests import cross_tenant_inbound_blocked as check
from tests.scanner.checks.conftest import graph_body, run


def _blocked(users: bool, apps: bool) -> dict:
    policy = graph_body("policies-crosstenantaccesspolicy-default")
    inbound = policy["b2bCollaborationInbound"]
    inbound["usersAndGroups"]["accessType"] = "blocked" if users else "allowed"
    inbound["applications"]["accessType"] = "blocked" if apps else "allowed"
    return policy


def test_fails_on_documented_service_default_which_allows_everyone():
    verdict = run(check, cross_tenant_default=graph_body("policies-crosstenantaccesspolicy-default"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {
        "b2bCollaborationInbound.usersAndGroups.accessType": "allowed",
        "b2bCollaborationInbound.applications.accessType": "allowed",
    }


def test_passes_when_users_and_applications_are_blocked():
    assert run(check, cross_tenant_default=_blocked(users=True, apps=True)).status is Status.PASS


def test_fails_when_only_users_are_blocked():
    assert run(check, cross_tenant_default=_blocked(users=True, apps=False)).status is Status.FAIL


def test_fails_when_only_applications_are_blocked():
    assert run(check, cross_tenant_default=_blocked(users=False, apps=True)).status is Status.FAIL
