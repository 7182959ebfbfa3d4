"""The environment figures of the executive report, from real Graph bodies (tests/fixtures/graph)."""

from __future__ import annotations

from scanner._environment import tenant_environment
from scanner._errors import InsufficientPermission
from tests.scanner.checks.conftest import graph_value

GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"


def collected():
    return {
        "users": graph_value("users-select-directory"),
        "registration_details": graph_value("reports-authenticationmethods-userregistrationdetails"),
        "subscribed_skus": graph_value("subscribedskus"),
        "secure_scores": graph_value("security-securescores"),
        "role_assignments": graph_value("rolemanagement-directory-roleassignments-privileged"),
        "privileged_group_members": {GROUP: graph_value("groups-transitivemembers-privileged")},
    }


def test_figures_from_the_documented_bodies():
    env = tenant_environment(collected())
    # users: five enabled members (one licensed) and one guest; one member has a registration row, MFA-capable.
    assert (env["members"], env["guests"], env["licensed"]) == (5, 1, 1)
    assert (env["mfa_capable"], env["mfa_assessed"]) == (1, 1)
    assert env["licences"] == [{"sku": "ENTERPRISEPREMIUM", "enabled": 25, "consumed": 14}]
    assert env["secure_score"] == {"current": 387.0, "max": 697.0, "all_tenants": 37.0, "similar_size": 46.0}
    # Two Global Administrators and two other privileged users (one through the role group).
    assert env["admins_active"] == 4
    assert env["admins_eligible"] is None  # eligibility is read on Entra ID P2 only


def test_a_figure_whose_collection_failed_or_is_missing_stays_unknown():
    data = collected()
    data["registration_details"] = InsufficientPermission(403, "Authorization_RequestDenied", "denied", "/reports",
                                                          permission="AuditLog.Read.All")
    del data["secure_scores"]
    env = tenant_environment(data)
    assert env["mfa_capable"] is None and env["mfa_assessed"] is None and env["secure_score"] is None
    assert env["members"] == 5


def test_an_unexpected_shape_leaves_the_figure_unknown_and_the_others_standing():
    data = collected()
    del data["users"][0]["userType"]
    data["subscribed_skus"][0].pop("prepaidUnits")
    env = tenant_environment(data)
    assert env["members"] is None and env["licences"] is None
    assert env["secure_score"]["current"] == 387.0


def test_free_skus_are_not_licences_to_report():
    data = collected()
    data["subscribed_skus"].append({**data["subscribed_skus"][0], "skuPartNumber": "FLOW_FREE"})
    assert [s["sku"] for s in tenant_environment(data)["licences"]] == ["ENTERPRISEPREMIUM"]
