from scanner.checks import Status
from scanner.checks.entra.ca import block_auth_transfer as check
from tests.scanner.checks.conftest import graph_value, run

FLOWS = "6f3d0e85-4a1b-4c9f-8e2d-5b8a7c3f4e16"


def flow_policy(policies):
    return next(p for p in policies if p["id"] == FLOWS)


def test_passes_when_policy_blocks_authentication_transfer():
    verdict = run(check, ca_policies=graph_value("ca-policies"))
    assert verdict.status is Status.PASS
    assert [p["id"] for p in verdict.evidence["matching_policies"]] == [FLOWS]


def test_fails_on_documented_example():
    verdict = run(check, ca_policies=graph_value("identity-conditionalaccess-policies"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_matching_policy")


def test_fails_when_only_device_code_flow_is_blocked():
    policies = graph_value("ca-policies")
    flow_policy(policies)["conditions"]["authenticationFlows"]["transferMethods"] = "deviceCodeFlow"
    assert run(check, ca_policies=policies).reason == "no_matching_policy"


def test_fails_when_policy_is_report_only():
    policies = graph_value("ca-policies")
    flow_policy(policies)["state"] = "enabledForReportingButNotEnforced"
    verdict = run(check, ca_policies=policies)
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "report_only", [FLOWS])
