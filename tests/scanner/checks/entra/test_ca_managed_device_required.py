import pytest

from scanner.checks import Status
from scanner.checks.entra.ca import managed_device_required as check
from tests.scanner.checks.conftest import graph_value, run

DEVICES = "7a4e1f96-5b2c-4d0a-9f3e-6c9b8d4a5f27"


def device_policy(policies):
    return next(p for p in policies if p["id"] == DEVICES)


def test_passes_with_compliant_or_hybrid_joined_device_required():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [DEVICES]


def test_passes_with_compliant_device_alone():
    policies = graph_value("ca-policies")
    device_policy(policies)["grantControls"]["builtInControls"] = ["compliantDevice"]
    assert run(check, ca_policies=policies).status is Status.PASS


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


@pytest.mark.parametrize(
    "controls",
    [["domainJoinedDevice"], ["compliantDevice", "mfa"], ["compliantDevice", "approvedApplication"]],
)
def test_fails_when_controls_allow_an_unmanaged_device(controls):
    policies = graph_value("ca-policies")
    device_policy(policies)["grantControls"]["builtInControls"] = controls
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_both_device_controls_are_required_together():
    policies = graph_value("ca-policies")
    device_policy(policies)["grantControls"]["operator"] = "AND"
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = graph_value("ca-policies")
    device_policy(policies)["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [DEVICES])
