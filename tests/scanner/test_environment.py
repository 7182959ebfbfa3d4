"""The environment figures of the executive report, from real Graph bodies (tests/fixtures/graph)."""

from __future__ import annotations

from scanner._environment import licensed_partitions, tenant_directory, tenant_environment
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


# --- what an MSP may bill a shared tenant by ------------------------------------------------------------

NORTHWIND = "d7797254-3084-44d0-99c9-a3b5ab149538"


def _licensed(users: list[dict], *ids: str) -> list[dict]:
    """The fixture's users, with a licence for these ones (the fixture licenses only Alex)."""
    return [{**u, "assignedLicenses": [{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "disabledPlans": []}]}
            if u["id"] in ids else u for u in users]


def test_the_directory_lists_verified_domains_and_groups_by_kind() -> None:
    directory = tenant_directory({"domains": graph_value("domains"), "groups": graph_value("groups")})
    assert directory is not None
    assert [d["name"] for d in directory["domains"]] == ["contoso.com"]
    assert directory["domains"][0]["default"] is True
    # groups-overview.md: Unified is a Microsoft 365 group; security only; mail + security; mail only.
    assert [(g["name"], g["kind"], g["dynamic"]) for g in directory["groups"]] == [
        ("All Company", "distribution", False), ("Golf Assist", "microsoft365", False),
        ("Northwind Traders staff", "security", False), ("Sales team", "mail_security", True)]


def test_no_directory_without_both_lists() -> None:
    failed = InsufficientPermission(403, "Authorization_RequestDenied", "denied", "/groups",
                                    permission="GroupMember.Read.All")
    assert tenant_directory({"domains": graph_value("domains"), "groups": failed}) is None
    assert tenant_directory({"domains": graph_value("domains")}) is None


def test_licensed_members_are_counted_by_domain_and_billing_group() -> None:
    users = _licensed(graph_value("users-select-directory"), "48d31887-5fad-4d73-a9f5-3c356e68a038",
                      "ace08ec9-aa11-4ada-9145-addf0398233e", "c6ad1942-4afa-47f8-8d48-afb5d8d69d2f")
    members = {NORTHWIND: graph_value("groups-transitivemembers-billing")}
    parts = licensed_partitions(users, members)
    # Licensed enabled members: Joey, Megan, Alex (Allan is a guest, licensed or not). Megan and Alex are in
    # the Northwind group; the device member is no user; domains compare without case (Contoso.com).
    assert parts == [{"domains": ["contoso.com"], "groups": [], "count": 1},
                     {"domains": ["contoso.com"], "groups": [NORTHWIND], "count": 2}]
    assert sum(p["count"] for p in parts) == 3


def test_partitions_come_with_the_figures_and_go_when_the_groups_could_not_be_read() -> None:
    data = collected()
    assert tenant_environment(data)["licensed_partitions"] == [{"domains": ["contoso.com"], "groups": [],
                                                                 "count": 1}]
    data["billing_group_members"] = InsufficientPermission(403, "Authorization_RequestDenied", "denied", "/groups",
                                                           permission="GroupMember.Read.All")
    env = tenant_environment(data)
    assert env["licensed_partitions"] is None and env["licensed"] == 1  # nobody placed by guess


def test_an_unverified_domain_is_not_listed() -> None:
    domains = [*graph_value("domains"), {**graph_value("domains")[0], "id": "pending.example", "isVerified": False}]
    directory = tenant_directory({"domains": domains, "groups": []})
    assert directory is not None and [d["name"] for d in directory["domains"]] == ["contoso.com"]
