"""The check catalogue as the simulator knows it: ids, licence gates, roles, permissions.

Written out by hand from ``docs/catalogue-plan.md`` (``sim`` imports nothing of ours, so not the
scanner's registry); a test elsewhere compares ``CHECK_IDS`` with the scanner's catalogue. Gate
values are the reasons the scanner writes on a ``not_applicable`` result (``license:entra_p1``...).

``CHECK_GATES`` lists each check's gates in the plan's order (Entra ID P1 first). When a tenant
lacks several, the expected reason is the first one missing in that order.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "ALL_PERMISSIONS",
    "CHECK_GATES",
    "CHECK_IDS",
    "DEFENDER",
    "ENTRA_P1",
    "ENTRA_P2",
    "EXCHANGE",
    "GLOBAL_ADMIN",
    "GLOBAL_READER",
    "HYBRID",
    "INTUNE",
    "PRIVILEGED_ROLES",
    "ROLE_NAMES",
    "SHAREPOINT",
]

ENTRA_P1 = "license:entra_p1"
ENTRA_P2 = "license:entra_p2"
INTUNE = "license:intune"
EXCHANGE = "license:exchange_online"
SHAREPOINT = "license:sharepoint_online"
DEFENDER = "license:defender_office_365"
HYBRID = "not_hybrid"

_P1 = (ENTRA_P1,)
_P2 = (ENTRA_P1, ENTRA_P2)

#: Every check id of the catalogue plan, with its gates.
CHECK_GATES: Mapping[str, tuple[str, ...]] = {
    "tenant.licences.unused": (),
    "entra.secdef.enabled": (),
    # Conditional Access: all Entra ID P1.
    "entra.ca.block_legacy_auth": _P1,
    "entra.ca.mfa_all_users": _P1,
    "entra.ca.mfa_admins": _P1,
    "entra.ca.phishing_resistant_mfa_admins": _P1,
    "entra.ca.phishing_resistant_mfa_all": _P1,
    "entra.ca.mfa_guests": _P1,
    "entra.ca.mfa_azure_management": _P1,
    "entra.ca.block_high_sign_in_risk": _P2,
    "entra.ca.block_high_user_risk": _P2,
    "entra.ca.risk_policies_separate": _P2,
    "entra.ca.block_device_code_flow": _P1,
    "entra.ca.block_auth_transfer": _P1,
    "entra.ca.managed_device_required": (ENTRA_P1, INTUNE),
    "entra.ca.secure_security_info_registration": _P1,
    "entra.ca.break_glass_excluded": _P1,
    "entra.ca.admin_sign_in_frequency": _P1,
    # Authentication methods: no gate.
    "entra.authmethods.migration_complete": (),
    "entra.authmethods.weak_methods_disabled": (),
    "entra.authmethods.sms_not_for_sign_in": (),
    "entra.authmethods.authenticator_context": (),
    "entra.authmethods.fido2_hardened": (),
    "entra.authmethods.tap_one_time": (),
    "entra.authmethods.registration_campaign": (),
    # MFA registration.
    "entra.mfa.users_capable": _P1,
    "entra.mfa.admins_phishing_resistant": _P1,
    # Privileged roles.
    "entra.roles.global_admin_count": (),
    "entra.roles.least_privilege_ratio": (),
    "entra.roles.admins_cloud_only": (),
    "entra.roles.no_guest_admins": (),
    "entra.roles.admin_licence_footprint": (),
    "entra.roles.stale_admins": _P1,
    # PIM.
    "entra.pim.no_permanent_active": (ENTRA_P2,),
    "entra.pim.assigned_via_pim": (ENTRA_P2,),
    "entra.pim.ga_activation_approval": (ENTRA_P2,),
    "entra.pim.activation_alerts": (ENTRA_P2,),
    "entra.pim.assignment_alerts": (ENTRA_P2,),
    "entra.pim.privileged_activation_alerts": (ENTRA_P2,),
    # Authorization policy, consent, guests, groups, apps, devices.
    "entra.authz.no_user_app_registration": (),
    "entra.authz.user_consent_restricted": (),
    "entra.authz.no_risky_app_consent": (),
    "entra.authz.no_tenant_creation": (),
    "entra.authz.no_security_group_creation": (),
    "entra.authz.bitlocker_keys_restricted": (),
    "entra.authz.msol_powershell_blocked": (),
    "entra.consent.admin_workflow": (),
    "entra.guests.access_restricted": (),
    "entra.guests.invite_restricted": (),
    "entra.guests.cross_tenant_inbound_blocked": (),
    "entra.groups.m365_creation_restricted": (),
    "entra.apps.credential_policy": (),
    "entra.apps.secret_lifetime_limited": (),
    "entra.apps.certificate_lifetime_limited": (),
    "entra.apps.no_long_lived_secrets": (),
    "entra.devices.join_restricted": (),
    "entra.devices.laps_enabled": (),
    "entra.devices.ga_not_local_admin": (),
    # Passwords, hybrid, session.
    "entra.passwords.never_expire": (),
    "entra.passwords.banned_list": _P1,
    "entra.passwords.smart_lockout": _P1,
    "entra.passwords.onprem_protection": (ENTRA_P1, HYBRID),
    "entra.hybrid.sync_recent": (HYBRID,),
    "entra.session.idle_timeout": (),
    # Exchange Online.
    "exo.smtp_auth.org_disabled": (EXCHANGE,),
    "exo.smtp_auth.mailboxes_disabled": (EXCHANGE,),
    "exo.forwarding.remote_domains": (EXCHANGE,),
    "exo.forwarding.outbound_policy": (EXCHANGE,),
    "exo.forwarding.mailboxes": (EXCHANGE,),
    "exo.audit.unified_audit_log": (EXCHANGE,),
    "exo.audit.mailbox_auditing": (EXCHANGE,),
    "exo.modern_auth": (EXCHANGE,),
    "exo.dkim_enabled": (EXCHANGE,),
    "exo.spf_published": (EXCHANGE,),
    "exo.dmarc.published": (EXCHANGE,),
    "exo.dmarc.reject": (EXCHANGE,),
    "exo.dmarc.reports": (EXCHANGE,),
    "exo.protection.malware_file_filter": (EXCHANGE,),
    "exo.protection.malware_zap": (EXCHANGE,),
    "exo.protection.spam_actions": (EXCHANGE,),
    "exo.protection.no_allowed_sender_domains": (EXCHANGE,),
    "exo.protection.no_ip_allow_list": (EXCHANGE,),
    "exo.protection.safe_list_off": (EXCHANGE,),
    "exo.protection.safe_attachments_block": (EXCHANGE, DEFENDER),
    "exo.protection.safe_attachments_files": (EXCHANGE, DEFENDER),
    "exo.protection.safe_links_everywhere": (EXCHANGE, DEFENDER),
    "exo.protection.safe_links_scan_downloads": (EXCHANGE, DEFENDER),
    "exo.protection.safe_links_click_tracking": (EXCHANGE, DEFENDER),
    "exo.protection.domain_impersonation": (EXCHANGE, DEFENDER),
    "exo.protection.safety_tips": (EXCHANGE, DEFENDER),
    "exo.shared_mailboxes_sign_in_blocked": (EXCHANGE,),
    "exo.sharing.contacts_not_shared_with_all": (EXCHANGE,),
    "exo.sharing.calendar_not_shared_with_all": (EXCHANGE,),
    "exo.external_sender_warning": (EXCHANGE,),
    # SharePoint.
    "spo.sharing.level": (SHAREPOINT,),
    "spo.sharing.domain_restricted": (SHAREPOINT,),
    "spo.sharing.no_guest_reshare": (SHAREPOINT,),
    "spo.legacy_auth_disabled": (SHAREPOINT,),
    # Intune.
    "intune.noncompliant_by_default": (INTUNE,),
    "intune.compliance_policy_assigned": (INTUNE,),
    "intune.devices_compliant": (INTUNE,),
    # Secure Score, inactive users.
    "securescore.overall": (),
    "users.inactive_members": _P1,
    "users.inactive_guests": _P1,
}

#: Every check id of docs/catalogue-plan.md, in the plan's order.
CHECK_IDS: tuple[str, ...] = tuple(CHECK_GATES)

#: Directory role template ids.
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
SHAREPOINT_ADMIN = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
DIRECTORY_SYNC_ACCOUNTS = "d29b2b05-8046-44ba-8758-1e26182fcf32"

#: The highly privileged roles of the catalogue (ScubaGear's list plus two from Maester).
PRIVILEGED_ROLES: tuple[str, ...] = (
    GLOBAL_ADMIN,
    PRIVILEGED_ROLE_ADMIN,
    USER_ADMIN,
    SHAREPOINT_ADMIN,
    EXCHANGE_ADMIN,
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",  # Hybrid Identity Administrator
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
    "158c047a-c907-4556-b7ef-446551a6b5f7",  # Cloud Application Administrator
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",  # Privileged Authentication Administrator
    SECURITY_ADMIN,
)

#: Display names of the roles the profiles assign or reference.
ROLE_NAMES: Mapping[str, str] = {
    GLOBAL_ADMIN: "Global Administrator",
    PRIVILEGED_ROLE_ADMIN: "Privileged Role Administrator",
    USER_ADMIN: "User Administrator",
    SHAREPOINT_ADMIN: "SharePoint Administrator",
    EXCHANGE_ADMIN: "Exchange Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    SECURITY_ADMIN: "Security Administrator",
    GLOBAL_READER: "Global Reader",
    DIRECTORY_SYNC_ACCOUNTS: "Directory Synchronization Accounts",
}

#: Every application permission the scanner's collections ask for (scanner/collections.py), Graph's
#: and Exchange's: what a consented tenant grants.
ALL_PERMISSIONS: frozenset[str] = frozenset({
    "Application.Read.All",
    "AuditLog.Read.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "Domain.Read.All",
    "Exchange.ManageAsApp",
    "GroupMember.Read.All",
    "GroupSettings.Read.All",
    "OnPremDirectorySynchronization.Read.All",
    "Organization.Read.All",
    "Policy.Read.All",
    "Policy.Read.DeviceConfiguration",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    "RoleAssignmentSchedule.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagementPolicy.Read.AzureADGroup",
    "RoleManagementPolicy.Read.Directory",
    "SecurityEvents.Read.All",
    "SharePointTenantSettings.Read.All",
    "User.Read.All",
})
