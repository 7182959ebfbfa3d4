"""``neglected``: Business Premium licences bought and never used for security.

No Conditional Access policy blocks legacy authentication or requires MFA (one sits in report-only,
one is disabled), security defaults are off, SMTP AUTH is on for the organisation, guests have the
same directory access as members, users may consent to any app, five Global Administrators
(one a guest, one stale, none with phishing-resistant MFA). An expired EMS E5 trial lingers in
``/subscribedSkus`` (suspended: its P2 plan must not make the tenant P2).

Only two applicable checks pass: ``entra.passwords.smart_lockout`` (no setting object: Microsoft's
defaults, reason ``defaults``) and ``entra.roles.admins_cloud_only`` (cloud-only tenant).
"""

from __future__ import annotations

from sim.profiles._catalogue import DEFENDER, ENTRA_P1, EXCHANGE, GLOBAL_ADMIN, INTUNE, SHAREPOINT
from sim.profiles._spec import (
    AUTHENTICATOR,
    GUEST_MEMBER,
    NONE,
    SMS,
    AppSecret,
    AuthMethods,
    Authz,
    CaPolicy,
    Directory,
    Exchange,
    Filler,
    Intune,
    Licences,
    Person,
    RoleGrant,
    SharePoint,
    Spec,
)

__all__ = ["SPEC"]

_GA = (RoleGrant(GLOBAL_ADMIN),)

PEOPLE = (
    # Five Global Administrators (entra.roles.global_admin_count, entra.roles.least_privilege_ratio),
    # all on licensed daily accounts but the contractor's (entra.roles.admin_licence_footprint).
    # The setup account never registered any method (entra.mfa.users_capable,
    # entra.mfa.admins_phishing_resistant).
    Person("admin", "Company", "Administrator", "Administrator", display_name="Company Administrator", sku="SPB",
           roles=_GA, methods=NONE, last_sign_in_days=10.0, created_days=1400),
    # The managing director forwards all mail to a private address (exo.forwarding.mailboxes).
    Person("henrietta.mueller", "Henrietta", "Mueller", "Managing Director", sku="SPB", roles=_GA, methods=SMS,
           forward_to="smtp:henrietta.mueller.home@gmail.com"),
    Person("diego.siciliani", "Diego", "Siciliani", "Office Manager", sku="SPB", roles=_GA, methods=AUTHENTICATOR),
    # A contractor's account left behind: 300 days without sign-in (entra.roles.stale_admins,
    # users.inactive_members).
    Person("raul.razo", "Raul", "Razo", "IT Contractor", roles=_GA, last_sign_in_days=300.0, methods=SMS),
    # The old MSP's technician, a guest with Global Administrator (entra.roles.no_guest_admins).
    Person("it.support", "Isaiah", "Langer", "Technician", kind="guest", roles=_GA, methods=SMS,
           guest_domain="oldmsp-support.net", last_sign_in_days=2.0),
    # A shared mailbox whose account can sign in (exo.shared_mailboxes_sign_in_blocked).
    Person("info", "Info", "Mailbox", kind="shared", display_name="Info"),
    # A guest from a project long finished (users.inactive_guests).
    Person("adele.vance", "Adele", "Vance", "Consultant", kind="guest", last_sign_in_days=400.0, methods=NONE,
           guest_domain="adventure-works.com"),
)

CA_POLICIES = (
    # Report-only and without exclusions: no MFA is enforced (entra.ca.mfa_all_users, mfa_admins,
    # mfa_guests, mfa_azure_management) and no account is excluded from every policy
    # (entra.ca.break_glass_excluded, reason no_common_exclusion).
    CaPolicy("Require MFA for all users", state="enabledForReportingButNotEnforced", grant=("mfa",),
             exclude_break_glass=False),
    # Created and never switched on (entra.ca.block_legacy_auth).
    CaPolicy("Block legacy authentication", state="disabled", client_app_types=("exchangeActiveSync", "other"),
             grant=("block",), exclude_break_glass=False),
)

SPEC = Spec(
    name="neglected",
    description="Business Premium licences, but no CA baseline, security defaults off, SMTP AUTH on, "
                "guests as members, user consent open: almost everything fails.",
    default_users=30,
    licences=Licences(skus=("SPB",), spare="many", expired_trials=("EMSPREMIUM",)),  # tenant.licences.unused
    # Business Premium, as typical's; the expired EMS E5 trial grants nothing.
    gates=frozenset({ENTRA_P1, INTUNE, EXCHANGE, SHAREPOINT, DEFENDER}),
    filler=Filler(skus=("SPB",), method_sets=(AUTHENTICATOR, NONE, SMS, NONE)),
    people=PEOPLE,
    ca_policies=CA_POLICIES,
    authz=Authz(
        guest_role=GUEST_MEMBER,  # entra.guests.access_restricted: guests see the directory as members do
        # entra.authz.user_consent_restricted: users consent to any app.
        user_consent="ManagePermissionGrantsForSelf.microsoft-user-default-legacy",
        risky_app_consent=True,  # entra.authz.no_risky_app_consent
        block_msol=False,  # entra.authz.msol_powershell_blocked
        # Defaults left: anyone invites guests, creates apps, tenants, security groups, reads BitLocker keys.
    ),
    auth_methods=AuthMethods(
        migration_state="preMigration",  # entra.authmethods.migration_complete
        sms="sign_in", voice=True, email=True,  # weak_methods_disabled, sms_not_for_sign_in
        authenticator_context="disabled",  # entra.authmethods.authenticator_context
        fido2="off",  # entra.authmethods.fido2_hardened
        tap="multi_use",  # entra.authmethods.tap_one_time
        campaign="disabled",  # entra.authmethods.registration_campaign
    ),
    directory=Directory(
        security_defaults=False,  # entra.secdef.enabled: off, and no CA baseline replaces it
        password_rules=None,  # entra.passwords.banned_list fails; smart_lockout passes on defaults
        password_validity_days=(90, 90),  # entra.passwords.never_expire
        app_secrets=(AppSecret("Website contact form", lifetime_days=36500, age_days=400),
                     AppSecret("Old backup tool", lifetime_days=365, age_days=500)),  # long-lived and expired
        # Defaults left: no admin consent workflow, no app credential policy, inbound B2B open, no idle
        # timeout, anyone joins devices as local admin with GAs, no LAPS, anyone creates M365 groups.
    ),
    sharepoint=SharePoint(),  # Anyone links, no domain limits, reshare, legacy auth: all four fail
    intune=Intune(secure_by_default=False, policies=(), platforms=("Windows", "Android"),
                  noncompliant_per_20=10),  # no compliance policy for devices in use; half not compliant
    exchange=Exchange(
        smtp_auth_disabled=False,  # exo.smtp_auth.org_disabled, and every mailbox inherits it
        audit_disabled=True,  # exo.audit.mailbox_auditing
        oauth2=False,  # exo.modern_auth
        unified_audit=False,  # exo.audit.unified_audit_log
        outbound_policies=(("Default", "On"),),  # exo.forwarding.outbound_policy
        remote_default_autoforward=True,  # exo.forwarding.remote_domains
        dkim_custom_domain=False,  # exo.dkim_enabled
        spf_custom=None,  # exo.spf_published; no DMARC either (exo.dmarc.*)
        # exo.protection.*: the common attachment filter and ZAP switched off, spam only tagged, an IP range
        # and Microsoft's safe list trusted, Safe Attachments set to monitor only.
        malware_file_filter=False, malware_zap=False, spam_action="AddXHeader", ip_allow_list=("203.0.113.0/24",),
        safe_list=True, safe_attachments_action="Allow",
        # exo.sharing.*: calendar details and contacts shared with every domain; no [EXTERNAL] tag rule.
        sharing_domains=("Anonymous:CalendarSharingFreeBusyReviewer",
                         "*:CalendarSharingFreeBusyDetail,ContactsSharing"),
    ),
    secure_score=0.18,
    # The reason of every verdict that carries one, from the knobs above.
    reasons={"entra.ca.break_glass_excluded": "no_common_exclusion", "entra.passwords.smart_lockout": "defaults",
             "entra.apps.credential_policy": "policy_disabled",
             "entra.apps.secret_lifetime_limited": "policy_disabled",
             "entra.apps.certificate_lifetime_limited": "policy_disabled",
             "entra.authmethods.fido2_hardened": "fido2_disabled",
             "entra.authmethods.migration_complete": "migration_incomplete",  # preMigration
             "entra.authmethods.registration_campaign": "campaign_not_enabled",
             "entra.ca.admin_sign_in_frequency": "no_matching_policy",
             "entra.ca.block_auth_transfer": "no_matching_policy",
             "entra.ca.block_device_code_flow": "no_matching_policy",
             "entra.ca.block_legacy_auth": "no_matching_policy",  # created, never switched on
             "entra.ca.managed_device_required": "no_matching_policy",
             "entra.ca.mfa_admins": "report_only",
             "entra.ca.mfa_all_users": "report_only",
             "entra.ca.mfa_azure_management": "report_only",
             "entra.ca.mfa_guests": "report_only",
             "entra.ca.phishing_resistant_mfa_admins": "no_matching_policy",
             "entra.ca.phishing_resistant_mfa_all": "no_matching_policy",
             "entra.ca.secure_security_info_registration": "no_matching_policy",
             "entra.consent.admin_workflow": "workflow_disabled",
             "entra.groups.m365_creation_restricted": "no_settings_object",
             "entra.passwords.banned_list": "no_settings_object",  # no Password Rule Settings object
             "entra.roles.global_admin_count": "too_many",  # five
             "entra.roles.least_privilege_ratio": "global_admin_count_out_of_bounds",
             "entra.secdef.enabled": "disabled_without_ca_baseline",
             "entra.session.idle_timeout": "no_default_timeout",
             "exo.external_sender_warning": "no_external_warning_rule"},
    fails=frozenset({
        "tenant.licences.unused",
        "entra.secdef.enabled",
        "entra.ca.block_legacy_auth",
        "entra.ca.mfa_all_users",
        "entra.ca.mfa_admins",
        "entra.ca.phishing_resistant_mfa_admins",
        "entra.ca.phishing_resistant_mfa_all",
        "entra.ca.mfa_guests",
        "entra.ca.mfa_azure_management",
        "entra.ca.block_device_code_flow",
        "entra.ca.block_auth_transfer",
        "entra.ca.managed_device_required",
        "entra.ca.secure_security_info_registration",
        "entra.ca.break_glass_excluded",
        "entra.ca.admin_sign_in_frequency",
        "entra.authmethods.migration_complete",
        "entra.authmethods.weak_methods_disabled",
        "entra.authmethods.sms_not_for_sign_in",
        "entra.authmethods.authenticator_context",
        "entra.authmethods.fido2_hardened",
        "entra.authmethods.tap_one_time",
        "entra.authmethods.registration_campaign",
        "entra.mfa.users_capable",
        "entra.mfa.admins_phishing_resistant",
        "entra.roles.global_admin_count",
        "entra.roles.least_privilege_ratio",
        "entra.roles.no_guest_admins",
        "entra.roles.admin_licence_footprint",
        "entra.roles.stale_admins",
        "entra.authz.no_user_app_registration",
        "entra.authz.user_consent_restricted",
        "entra.authz.no_risky_app_consent",
        "entra.authz.no_tenant_creation",
        "entra.authz.no_security_group_creation",
        "entra.authz.bitlocker_keys_restricted",
        "entra.authz.msol_powershell_blocked",
        "entra.consent.admin_workflow",
        "entra.guests.access_restricted",
        "entra.guests.invite_restricted",
        "entra.guests.cross_tenant_inbound_blocked",
        "entra.groups.m365_creation_restricted",
        "entra.apps.credential_policy",
        "entra.apps.secret_lifetime_limited",  # the default app-management policy is off
        "entra.apps.certificate_lifetime_limited",
        "entra.apps.no_long_lived_secrets",
        "entra.devices.join_restricted",
        "entra.devices.laps_enabled",
        "entra.devices.ga_not_local_admin",
        "entra.passwords.never_expire",
        "entra.passwords.banned_list",
        "entra.session.idle_timeout",
        "exo.smtp_auth.org_disabled",
        "exo.smtp_auth.mailboxes_disabled",
        "exo.forwarding.remote_domains",
        "exo.forwarding.outbound_policy",
        "exo.forwarding.mailboxes",
        "exo.audit.unified_audit_log",
        "exo.audit.mailbox_auditing",
        "exo.modern_auth",
        "exo.dkim_enabled",
        "exo.spf_published",
        "exo.dmarc.published",
        "exo.dmarc.reject",
        "exo.dmarc.reports",
        "exo.protection.malware_file_filter",
        "exo.protection.malware_zap",
        "exo.protection.spam_actions",
        "exo.protection.no_ip_allow_list",
        "exo.protection.safe_list_off",
        "exo.protection.safe_attachments_block",
        "exo.protection.safe_attachments_files",
        "exo.protection.safe_links_everywhere",
        "exo.protection.domain_impersonation",
        "exo.protection.safety_tips",
        "exo.shared_mailboxes_sign_in_blocked",
        "exo.sharing.contacts_not_shared_with_all",
        "exo.sharing.calendar_not_shared_with_all",
        "exo.external_sender_warning",
        "spo.sharing.level",
        "spo.sharing.domain_restricted",
        "spo.sharing.no_guest_reshare",
        "spo.legacy_auth_disabled",
        "intune.noncompliant_by_default",
        "intune.compliance_policy_assigned",
        "intune.devices_compliant",
        "securescore.overall",
        "users.inactive_members",
        "users.inactive_guests",
    }),
)
