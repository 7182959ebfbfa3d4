"""Expected verdicts: complete, consistent with licences, and matching each profile's intent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.profiles import CHECK_IDS
from sim.profiles._catalogue import PRIVILEGED_ROLES
from sim.profiles._expected import expected_verdicts
from tests.sim.profiles.conftest import built

PLAN = Path(__file__).resolve().parents[3] / "docs" / "catalogue-plan.md"
COMPLETED = ["secure", "typical", "neglected", "free", "hybrid"]
GA = "62e90394-69f5-4237-9190-012177145e10"


def _with(tenant, status):
    return {c for c, s in tenant.expected.items() if s == status}


def test_check_ids_are_exactly_the_plans():
    planned = re.findall(r"^\| ((?:tenant|entra|exo|spo|intune|securescore|users)\.[a-z0-9_.]+) \|",
                         PLAN.read_text(), re.MULTILINE)
    assert len(planned) >= 60
    assert sorted(CHECK_IDS) == sorted(planned)
    assert len(set(CHECK_IDS)) == len(CHECK_IDS)


@pytest.mark.parametrize("profile", COMPLETED)
def test_expected_covers_every_check_with_a_known_status(profile):
    tenant = built(profile)
    assert tenant.expected_status == "completed"
    assert set(tenant.expected) == set(CHECK_IDS)
    assert set(tenant.expected.values()) <= {"pass", "fail", "not_applicable"}
    not_applicable = _with(tenant, "not_applicable")
    assert {c for c in tenant.expected_reasons if tenant.expected[c] == "not_applicable"} == not_applicable


def test_revoked_tenant_expects_a_disconnected_scan_and_no_verdicts():
    tenant = built("revoked")
    assert tenant.expected_status == "disconnected"
    assert tenant.expected == {}
    assert tenant.consent == "revoked"


def test_secure_passes_every_applicable_check_and_only_hybrid_ones_are_not_applicable():
    tenant = built("secure")
    assert _with(tenant, "fail") == set()
    # Not hybrid; and no client secret can be added, so its lifetime limit judges nothing (MS.AAD.5.6v1).
    assert _with(tenant, "not_applicable") == {"entra.passwords.onprem_protection", "entra.hybrid.sync_recent",
                                               "entra.apps.secret_lifetime_limited"}
    assert {tenant.expected_reasons[c] for c in _with(tenant, "not_applicable")} == {
        "not_hybrid", "password_addition_blocked"}
    assert {"entra.pim.ga_activation_approval", "entra.ca.block_high_user_risk"} <= _with(tenant, "pass")


@pytest.mark.parametrize("profile", ["typical", "hybrid", "neglected"])
def test_business_premium_lacks_only_p2_and_maybe_hybrid(profile):
    tenant = built(profile)
    reasons = {tenant.expected_reasons[c] for c in _with(tenant, "not_applicable")}
    assert reasons <= {"license:entra_p2", "not_hybrid"}
    assert "license:entra_p2" in reasons
    assert all(tenant.expected[c] == "not_applicable" for c in CHECK_IDS if c.startswith("entra.pim."))
    assert tenant.expected["entra.ca.block_legacy_auth"] != "not_applicable"


def test_typical_is_a_mix_of_passes_and_failures():
    tenant = built("typical")
    passes, fails = _with(tenant, "pass"), _with(tenant, "fail")
    assert len(passes) >= 20 and len(fails) >= 20
    assert {"entra.ca.block_legacy_auth", "entra.ca.mfa_all_users", "entra.secdef.enabled"} <= passes
    # Report-only policies never count.
    assert "entra.ca.block_device_code_flow" in fails


def test_neglected_fails_what_its_description_promises():
    tenant = built("neglected")
    promised = {
        "entra.ca.block_legacy_auth", "entra.ca.mfa_all_users", "entra.secdef.enabled", "exo.smtp_auth.org_disabled",
        "entra.guests.access_restricted", "entra.authz.user_consent_restricted",
    }
    assert promised <= _with(tenant, "fail")
    assert tenant.expected_reasons["entra.ca.break_glass_excluded"] == "no_common_exclusion"
    assert tenant.expected["entra.passwords.smart_lockout"] == "pass"
    assert tenant.expected_reasons["entra.passwords.smart_lockout"] == "defaults"


def test_neglected_data_carries_the_promised_settings():
    g, x = built("neglected").graph, built("neglected").exchange
    authz = g["/policies/authorizationPolicy"]
    assert authz["guestUserRoleId"] == "a0b1b346-4d3e-4e8b-98f8-753987be4970"
    assert "ManagePermissionGrantsForSelf.microsoft-user-default-legacy" in \
        authz["defaultUserRolePermissions"]["permissionGrantPoliciesAssigned"]
    assert g["/policies/identitySecurityDefaultsEnforcementPolicy"]["isEnabled"] is False
    assert x["Get-TransportConfig"][0]["SmtpClientAuthenticationDisabled"] is False
    enforced = [p for p in g["/identity/conditionalAccess/policies"] if p["state"] == "enabled"]
    assert not [p for p in enforced if {"block", "mfa"} & set(p["grantControls"]["builtInControls"])]


def test_free_has_no_p1_so_premium_and_intune_checks_are_not_applicable():
    tenant = built("free")
    assert not any(plan.startswith(("AAD_PREMIUM", "INTUNE_A")) for plan in tenant.service_plans)
    assert tenant.graph["/policies/identitySecurityDefaultsEnforcementPolicy"]["isEnabled"] is True
    assert tenant.expected["entra.secdef.enabled"] == "pass"
    for check in CHECK_IDS:
        if check.startswith(("entra.ca.", "entra.mfa.", "entra.pim.", "intune.", "users.")):
            assert tenant.expected[check] == "not_applicable", check
    assert tenant.expected_reasons["entra.ca.block_legacy_auth"] == "license:entra_p1"
    assert tenant.expected_reasons["entra.ca.managed_device_required"] == "license:entra_p1"
    assert tenant.expected_reasons["entra.pim.no_permanent_active"] == "license:entra_p2"
    assert tenant.expected_reasons["intune.devices_compliant"] == "license:intune"
    assert tenant.expected["exo.smtp_auth.org_disabled"] == "pass"


def test_hybrid_checks_apply_to_the_hybrid_tenant_with_a_mix():
    tenant = built("hybrid")
    assert tenant.graph["/organization"][0]["onPremisesSyncEnabled"] is True
    assert tenant.graph["/directory/onPremisesSynchronization"][0]["features"]["passwordSyncEnabled"] is True
    assert any(u["onPremisesSyncEnabled"] for u in tenant.graph["/users"])
    assert tenant.expected["entra.hybrid.sync_recent"] == "pass"
    assert tenant.expected["entra.passwords.onprem_protection"] == "fail"
    assert tenant.expected["entra.roles.admins_cloud_only"] == "fail"
    differing = {c for c in CHECK_IDS if tenant.expected[c] != built("typical").expected[c]}
    assert differing == {"entra.hybrid.sync_recent", "entra.passwords.onprem_protection",
                         "entra.roles.admins_cloud_only"}


def test_an_expired_trial_does_not_make_a_tenant_p2():
    tenant = built("neglected")
    suspended = [s for s in tenant.graph["/subscribedSkus"] if s["capabilityStatus"] != "Enabled"]
    assert any(p["servicePlanName"] == "AAD_PREMIUM_P2" for s in suspended for p in s["servicePlans"])
    assert "AAD_PREMIUM_P2" not in tenant.service_plans
    assert tenant.expected["entra.ca.block_high_user_risk"] == "not_applicable"


def test_secure_licences_carry_p1_p2_intune_exchange_sharepoint_and_defender():
    plans = built("secure").service_plans
    assert {"AAD_PREMIUM", "AAD_PREMIUM_P2", "INTUNE_A", "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE",
            "ATP_ENTERPRISE", "WINDEFATP"} <= plans


def test_expected_verdicts_refuse_a_failure_the_licences_rule_out():
    with pytest.raises(ValueError, match="not applicable"):
        expected_verdicts({"entra.pim.no_permanent_active"}, {}, {"license:entra_p1"})
    with pytest.raises(ValueError, match="unknown check"):
        expected_verdicts({"entra.ca.no_such_check"}, {}, set())


@pytest.mark.parametrize("profile", ["secure", "typical", "hybrid"])
def test_break_glass_accounts_are_excluded_from_every_policy_in_force(profile):
    tenant = built(profile)
    break_glass = {u["id"] for u in tenant.graph["/users"] if u["userPrincipalName"].startswith("breakglass")}
    assert len(break_glass) == 2
    for policy in tenant.graph["/identity/conditionalAccess/policies"]:
        if policy["state"] != "disabled":
            assert set(policy["conditions"]["users"]["excludeUsers"]) == break_glass, policy["displayName"]


def test_secure_pim_requires_approval_and_alerts_for_global_admin():
    g = built("secure").graph
    ga = next(a for a in g["/policies/roleManagementPolicyAssignments"] if a["roleDefinitionId"] == GA)
    rules = {r["id"]: r for r in ga["policy"]["rules"]}
    approval = rules["Approval_EndUser_Assignment"]["setting"]
    assert approval["isApprovalRequired"] is True
    assert approval["approvalStages"][0]["primaryApprovers"]
    assert rules["Notification_Admin_EndUser_Assignment"]["notificationRecipients"]
    privileged = [i for i in g["/roleManagement/directory/roleAssignmentScheduleInstances"]
                  if i["roleDefinitionId"] in PRIVILEGED_ROLES]
    assert len(privileged) >= 4
    for instance in privileged:
        assert instance["startDateTime"] is not None
        assert instance["assignmentType"] == "Activated" or instance["endDateTime"] is not None


def test_filler_users_never_hold_roles():
    small, big = built("typical", 0, 10), built("typical", 0, 300)

    def holders(tenant):
        return sorted(a["principal"]["displayName"] for a in tenant.graph["/roleManagement/directory/roleAssignments"])

    assert holders(small) == holders(big)
