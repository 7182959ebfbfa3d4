import pytest

from scanner.checks import Status
from scanner.checks.entra.devices import join_restricted as check
from tests.scanner.checks.conftest import graph_body, run


def test_fails_on_documented_policy_where_all_users_may_join():
    verdict = run(check, device_registration_policy=graph_body("policies-deviceregistrationpolicy"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {
        "azureADJoin.allowedToJoin.@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"
    }


@pytest.mark.parametrize(
    "membership",
    ["#microsoft.graph.enumeratedDeviceRegistrationMembership", "#microsoft.graph.noDeviceRegistrationMembership"],
)
def test_passes_when_join_is_limited_to_selected_users_or_nobody(membership):
    policy = graph_body("policies-deviceregistrationpolicy")
    policy["azureADJoin"]["allowedToJoin"]["@odata.type"] = membership
    assert run(check, device_registration_policy=policy).status is Status.PASS
