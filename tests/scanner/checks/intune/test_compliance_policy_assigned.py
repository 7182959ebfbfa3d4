import pytest

from scanner.checks import Status
from scanner.checks.intune import compliance_policy_assigned as check
from tests.scanner.checks.conftest import graph_value, run

IOS_POLICY = "1b4c7d0e-3f6a-4b9c-8d2e-5f8a1b4c7d0e"
ANDROID_DEVICE = "4b1c8e2a-7d3f-4a6b-9c0e-1f2a3b4c5d05"


POLICIES = "devicemanagement-devicecompliancepolicies"
DEVICES = "devicemanagement-manageddevices"


def _run(policies=None, devices=None):
    return run(
        check,
        compliance_policies=policies if policies is not None else graph_value(POLICIES),
        managed_devices=devices if devices is not None else graph_value(DEVICES),
    )


def _policy(policies, policy_id):
    return next(p for p in policies if p["id"] == policy_id)


def _device(devices, device_id):
    return next(d for d in devices if d["id"] == device_id)


def test_fails_on_platforms_with_no_policy_or_only_an_unassigned_one():
    verdict = _run()
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["Android", "iOS"]
    assert verdict.evidence["platforms_with_assigned_policy"] == ["Windows"]


def test_an_assigned_policy_covers_its_platform():
    policies = graph_value(POLICIES)
    _policy(policies, IOS_POLICY)["assignments"] = [
        {"id": "x", "target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}
    ]
    assert _run(policies=policies).affected == ["Android"]


def test_passes_when_every_platform_in_use_has_an_assigned_policy():
    devices = [d for d in graph_value(DEVICES) if d["operatingSystem"] == "Windows"]
    verdict = _run(devices=devices)
    assert verdict.status is Status.PASS
    assert verdict.reason is None


@pytest.mark.parametrize(("system", "platform"), [("iPadOS", "iOS"), ("macOS", "macOS")])
def test_maps_operating_systems_to_policy_platforms(system, platform):
    devices = graph_value(DEVICES)
    _device(devices, ANDROID_DEVICE)["operatingSystem"] = system
    assert _run(devices=devices).affected == sorted({"iOS", platform})


def test_does_not_judge_platforms_without_a_policy_type():
    devices = graph_value(DEVICES)
    _device(devices, ANDROID_DEVICE)["operatingSystem"] = "Linux"
    verdict = _run(devices=devices)
    assert verdict.affected == ["iOS"]
    assert verdict.evidence["platforms_not_judged"] == ["Linux"]


def test_passes_without_devices_when_some_policy_is_assigned():
    verdict = _run(devices=[])
    assert verdict.status is Status.PASS
    assert verdict.reason == "no_managed_devices"


def test_fails_without_devices_when_no_policy_is_assigned():
    policies = graph_value(POLICIES)
    for policy in policies:
        policy["assignments"] = []
    verdict = _run(policies=policies, devices=[])
    assert verdict.status is Status.FAIL
    assert verdict.reason == "no_assigned_policy"


def test_policies_read_without_assignments_are_an_error_not_a_pass():
    policies = graph_value(POLICIES)
    del _policy(policies, IOS_POLICY)["assignments"]
    with pytest.raises(KeyError):
        _run(policies=policies)
