"""Licence gates read from /subscribedSkus: the Defender for Office 365 gate of the Safe Links and Safe
Attachments checks (Plan 1 in Business Premium, Plans 1 and 2 in E5), only from enabled, provisioned plans."""

import pytest

from scanner.checks import Gate
from scanner.licences import detect_gates
from tests.scanner.checks.conftest import graph_value

ORGANIZATION = [{"id": "84841066-274d-4ec0-a5c1-276be684bdd3", "onPremisesSyncEnabled": None}]


def _skus(plan: str, provisioning: str = "Success", capability: str = "Enabled"):
    skus = graph_value("subscribedskus")
    skus[0]["capabilityStatus"] = capability
    skus[0]["servicePlans"].append({"servicePlanId": "f20fedf3-f3c3-43c3-8267-2bfdd51c0939",
                                    "servicePlanName": plan, "provisioningStatus": provisioning,
                                    "appliesTo": "User"})
    return skus


@pytest.mark.parametrize("plan", ["ATP_ENTERPRISE", "THREAT_INTELLIGENCE"])
def test_either_defender_plan_gives_the_gate(plan):
    assert Gate.DEFENDER in detect_gates(_skus(plan), ORGANIZATION)


def test_the_documented_e5_sample_without_defender_plans_has_no_gate():
    assert Gate.DEFENDER not in detect_gates(graph_value("subscribedskus"), ORGANIZATION)


@pytest.mark.parametrize(("provisioning", "capability"), [("PendingActivation", "Enabled"), ("Success", "Suspended")])
def test_a_plan_not_provisioned_or_a_suspended_subscription_does_not_count(provisioning, capability):
    assert Gate.DEFENDER not in detect_gates(_skus("ATP_ENTERPRISE", provisioning, capability), ORGANIZATION)
