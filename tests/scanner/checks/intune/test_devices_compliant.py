from scanner.checks import Status, TenantConfig
from scanner.checks.intune import devices_compliant as check
from tests.scanner.checks.conftest import graph_value, run


def test_fails_below_the_target_share_and_lists_non_compliant_devices():
    verdict = run(check, managed_devices=graph_value("devicemanagement-manageddevices"))
    assert verdict.status is Status.FAIL
    # A device in its grace period is not compliant yet.
    assert verdict.affected == ["AlexW_Pixel8", "CONTOSO-DT-0009"]
    assert verdict.evidence["compliant_ratio"] == 0.6


def test_passes_at_the_target_share():
    devices = graph_value("devicemanagement-manageddevices")
    verdict = run(check, TenantConfig(compliant_device_ratio=0.6), managed_devices=devices)
    assert verdict.status is Status.PASS
    assert verdict.evidence["target_ratio"] == 0.6


def test_not_applicable_without_managed_devices():
    verdict = run(check, managed_devices=[])
    assert verdict.status is Status.NOT_APPLICABLE
    assert verdict.reason == "no_managed_devices"
