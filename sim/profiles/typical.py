"""``typical``: a Microsoft 365 Business Premium customer an MSP has half hardened.

Entra ID P1, Intune, Exchange Online and SharePoint; no P2, so the risk-policy and PIM checks are
not applicable. Legacy authentication is blocked and MFA required for everyone, but much is left
at its default. Every failure below is listed in ``FAILS`` with the knob that causes it.

``large`` is this tenant with 10,000 users; ``revoked`` is this tenant after its administrator
deleted the service's enterprise app (consent revoked: the scan ends ``disconnected``).
"""

from __future__ import annotations

from dataclasses import replace

from sim.profiles._catalogue import DEFENDER, ENTRA_P1, EXCHANGE, EXCHANGE_ADMIN, GLOBAL_ADMIN, INTUNE, SHAREPOINT
from sim.profiles._spec import (
    AUTHENTICATOR,
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
    PasswordRules,
    Person,
    RoleGrant,
    SharePoint,
    Spec,
    break_glass_account,
)

__all__ = ["LARGE", "REVOKED", "SPEC"]

_GA = (RoleGrant(GLOBAL_ADMIN),)

PEOPLE = (
    break_glass_account("01", RoleGrant(GLOBAL_ADMIN), last_sign_in_days=10.0),
    break_glass_account("02", RoleGrant(GLOBAL_ADMIN), last_sign_in_days=10.0),
    # Daily account with Global Administrator and a Business Premium licence, Authenticator only
    # (entra.roles.admin_licence_footprint, entra.mfa.admins_phishing_resistant). Forwards to the
    # shared mailbox on the tenant's own domain (upper-cased: exo.forwarding.mailboxes still passes).
    Person("megan.bowen", "Megan", "Bowen", "IT Manager", sku="SPB", roles=_GA, forward_to="smtp:info@{CUSTOM}"),
    # A former IT contractor, still Global Administrator, no sign-in for 200 days
    # (entra.roles.stale_admins, users.inactive_members; with Megan, 4 GAs for 1 other admin:
    # entra.roles.least_privilege_ratio).
    Person("jordan.quinn", "Jordan", "Quinn", "IT Contractor", roles=_GA, last_sign_in_days=200.0, methods=SMS),
    Person("patti.fernandez", "Patti", "Fernandez", "Office Manager", sku="SPB",
           roles=(RoleGrant(EXCHANGE_ADMIN),)),
    # The multifunction printer's mailbox: SMTP AUTH switched back on for it, never registered MFA
    # (exo.smtp_auth.mailboxes_disabled, entra.mfa.users_capable).
    Person("scanner", "Scan", "To Email", "Device", sku="SPB", display_name="Scanner (3rd floor)", methods=NONE,
           smtp_auth_disabled=False, last_sign_in_days=0.5),
    # A shared mailbox whose account can still sign in (exo.shared_mailboxes_sign_in_blocked).
    Person("info", "Info", "Mailbox", kind="shared", display_name="Info", created_days=900),
    # A partner guest who has not signed in for 250 days (users.inactive_guests).
    Person("lee.gu", "Lee", "Gu", "Consultant", kind="guest", last_sign_in_days=250.0, methods=NONE,
           guest_domain="northwindtraders.com"),
)

CA_POLICIES = (
    CaPolicy("CA001: Block legacy authentication", client_app_types=("exchangeActiveSync", "other"),
             grant=("block",)),
    CaPolicy("CA002: Require multifactor authentication for all users", grant=("mfa",)),
    # Report-only never satisfies a control (entra.ca.block_device_code_flow, entra.ca.block_auth_transfer).
    CaPolicy("CA003: Block device code flow", state="enabledForReportingButNotEnforced",
             transfer_methods="deviceCodeFlow", grant=("block",)),
    # Disabled, and without exclusions: ignored by entra.ca.break_glass_excluded; no compliant-device
    # requirement in force (entra.ca.managed_device_required). No phishing-resistant strength, no
    # security-info registration policy, no admin session policy anywhere (the three checks fail).
    CaPolicy("CA004: Require compliant or hybrid joined device", state="disabled",
             grant=("compliantDevice", "domainJoinedDevice"), exclude_break_glass=False),
)

SPEC = Spec(
    name="typical",
    description="Microsoft 365 Business Premium (P1, Intune, no P2): a realistic mix of passes and failures.",
    default_users=45,
    licences=Licences(skus=("SPB",), spare="many"),  # tenant.licences.unused: seats bought, never assigned
    # Microsoft 365 Business Premium: Entra ID P1, Intune, Exchange Online and SharePoint Online; no P2.
    gates=frozenset({ENTRA_P1, INTUNE, EXCHANGE, SHAREPOINT, DEFENDER}),
    filler=Filler(skus=("SPB",), method_sets=(AUTHENTICATOR, ("microsoftAuthenticatorPush",), SMS)),
    people=PEOPLE,
    ca_policies=CA_POLICIES,
    authz=Authz(
        allow_invites_from="everyone",  # entra.guests.invite_restricted
        user_consent="ManagePermissionGrantsForSelf.microsoft-user-default-low",
        # Only the sign-in basics classified low, so the low-risk policy is what its name says.
        low_risk_permissions=("openid", "profile", "email", "offline_access", "User.Read"),
        create_apps=False,
        create_tenants=False,
        create_security_groups=True,  # entra.authz.no_security_group_creation
        read_bitlocker_keys=True,  # entra.authz.bitlocker_keys_restricted
        block_msol=None,  # entra.authz.msol_powershell_blocked
    ),
    auth_methods=AuthMethods(
        migration_state="migrationInProgress",  # entra.authmethods.migration_complete
        sms="second_factor",  # entra.authmethods.weak_methods_disabled (not usable for sign-in: sms check passes)
        authenticator_context="enabled",
        fido2="open",  # entra.authmethods.fido2_hardened: no attestation, no key restrictions
        campaign="enabled",
    ),
    directory=Directory(
        security_defaults=False,
        admin_consent_workflow=True,
        app_password_restriction=False,  # entra.apps.credential_policy
        cross_tenant_inbound_blocked=False,  # entra.guests.cross_tenant_inbound_blocked
        idle_timeout="1.00:00:00",  # entra.session.idle_timeout: a day, more than 3 hours
        device_join="all",  # entra.devices.join_restricted
        ga_local_admin=True,  # entra.devices.ga_not_local_admin
        laps=True,
        unified_group_creation="allowed",  # entra.groups.m365_creation_restricted
        password_rules=PasswordRules(banned_list=True, lockout_threshold=10, lockout_duration_s=60,
                                     onprem_enabled=True, onprem_mode="Audit"),  # onprem: hybrid only
        password_validity_days=(None, 2147483647),
        # entra.apps.no_long_lived_secrets: a two-year client secret.
        app_secrets=(AppSecret("Legacy CRM Sync", lifetime_days=730, age_days=200),),
    ),
    sharepoint=SharePoint(
        sharing="externalUserSharingOnly",
        domain_mode="none",  # spo.sharing.domain_restricted
        reshare=True,  # spo.sharing.no_guest_reshare
        legacy_auth=False,
    ),
    intune=Intune(
        secure_by_default=False,  # intune.noncompliant_by_default
        policies=(("Windows", True), ("iOS", True)),
        platforms=("Windows", "Windows", "Windows", "iOS"),
        noncompliant_per_20=6,  # intune.devices_compliant: 30% not compliant
    ),
    exchange=Exchange(
        smtp_auth_disabled=True,
        # exo.forwarding.outbound_policy: an exception policy allows automatic forwarding.
        outbound_policies=(("Default", "Automatic"), ("Finance forwarding exception", "On")),
        remote_default_autoforward=False,
        dkim_custom_domain=False,  # exo.dkim_enabled: never switched on for the custom domain
        # exo.sharing.calendar_not_shared_with_all: the default policy shares free/busy with every domain;
        # contacts are not shared; an [EXTERNAL] tag rule is in place (exo.external_sender_warning passes).
        external_sender_warning=True,
        # exo.spf_published passes with a soft fail (MS.EXO.2.2v3 allows it); DMARC only monitors the custom
        # domain (exo.dmarc.reject, exo.dmarc.reports) and the onmicrosoft.com domain has none (exo.dmarc.published).
        spf_custom="v=spf1 include:spf.protection.outlook.com ~all",
        # Email protection on Microsoft's defaults, plus a partner's domain allowed past spam filtering
        # (exo.protection.no_allowed_sender_domains); no preset, so the built-in Safe Links policy, which skips
        # internal mail, is in force (exo.protection.safe_links_everywhere); files in SharePoint, OneDrive and
        # Teams are not scanned (exo.protection.safe_attachments_files).
        allowed_sender_domains=("fabrikam-partner.example",),
        dmarc_custom="v=DMARC1; p=none; rua=mailto:dmarc@{custom}",
    ),
    secure_score=0.48,  # securescore.overall: below 60%
    # The reason of every verdict that carries one, from the knobs above.
    reasons={
        "entra.apps.credential_policy": "policy_disabled",
        "entra.apps.secret_lifetime_limited": "policy_disabled",  # the default app-management policy is off
        "entra.apps.certificate_lifetime_limited": "policy_disabled",
        "entra.authmethods.fido2_hardened": "not_hardened",  # FIDO2 on, no attestation, no key restrictions
        "entra.authmethods.migration_complete": "migration_incomplete",  # migrationInProgress
        "entra.authmethods.tap_one_time": "tap_disabled",  # passes: no Temporary Access Pass to misuse
        "entra.ca.admin_sign_in_frequency": "no_matching_policy",
        "entra.ca.block_auth_transfer": "no_matching_policy",  # CA003 targets the device code flow only
        "entra.ca.block_device_code_flow": "report_only",  # CA003
        "entra.ca.managed_device_required": "no_matching_policy",  # CA004 is disabled
        "entra.ca.phishing_resistant_mfa_admins": "no_matching_policy",
        "entra.ca.phishing_resistant_mfa_all": "no_matching_policy",
        "entra.ca.secure_security_info_registration": "no_matching_policy",
        "entra.guests.access_restricted": "limited",  # passes: guests have limited access (the default)
        "entra.roles.least_privilege_ratio": "global_admins_outnumber_others",
        "entra.secdef.enabled": "replaced_by_conditional_access",  # passes: CA001 and CA002 replace them
        "entra.session.idle_timeout": "timeout_too_long",  # a day
    },
    fails=frozenset({
        "tenant.licences.unused",
        "entra.ca.phishing_resistant_mfa_admins",
        "entra.ca.phishing_resistant_mfa_all",
        "entra.ca.block_device_code_flow",
        "entra.ca.block_auth_transfer",
        "entra.ca.managed_device_required",
        "entra.ca.secure_security_info_registration",
        "entra.ca.admin_sign_in_frequency",
        "entra.authmethods.migration_complete",
        "entra.authmethods.weak_methods_disabled",
        "entra.authmethods.fido2_hardened",
        "entra.mfa.users_capable",  # scanner mailbox, and the shared mailbox's enabled account
        "entra.mfa.admins_phishing_resistant",
        "entra.roles.least_privilege_ratio",
        "entra.roles.admin_licence_footprint",
        "entra.roles.stale_admins",
        "entra.authz.no_security_group_creation",
        "entra.authz.bitlocker_keys_restricted",
        "entra.authz.msol_powershell_blocked",
        "entra.guests.invite_restricted",
        "entra.guests.cross_tenant_inbound_blocked",
        "entra.groups.m365_creation_restricted",
        "entra.apps.credential_policy",
        "entra.apps.secret_lifetime_limited",  # the default app-management policy is off
        "entra.apps.certificate_lifetime_limited",
        "entra.apps.no_long_lived_secrets",
        "entra.devices.join_restricted",
        "entra.devices.ga_not_local_admin",
        "entra.session.idle_timeout",
        "exo.smtp_auth.mailboxes_disabled",
        "exo.forwarding.outbound_policy",
        "exo.dkim_enabled",
        "exo.dmarc.published",
        "exo.dmarc.reject",
        "exo.dmarc.reports",
        "exo.protection.no_allowed_sender_domains",
        "exo.protection.safe_links_everywhere",
        "exo.protection.safe_attachments_files",
        "exo.protection.domain_impersonation",  # the default anti-phishing policy, as Microsoft ships it
        "exo.protection.safety_tips",
        "exo.shared_mailboxes_sign_in_blocked",
        "exo.sharing.calendar_not_shared_with_all",
        "spo.sharing.domain_restricted",
        "spo.sharing.no_guest_reshare",
        "intune.noncompliant_by_default",
        "intune.devices_compliant",
        "securescore.overall",
        "users.inactive_members",  # Jordan Quinn; the shared mailbox's account never signed in
        "users.inactive_guests",
    }),
)

#: The typical tenant at 10,000 users: same verdicts.
LARGE = replace(SPEC, name="large", default_users=10_000,
                description="A typical Business Premium tenant with 10,000 users (same verdicts as typical).")

#: The typical tenant after its enterprise app was deleted: tokens fail (AADSTS700016), no check runs.
REVOKED = replace(SPEC, name="revoked", default_users=25, consent="revoked", expected_status="disconnected",
                  description="Consent was granted, then the enterprise app was deleted: the scan is disconnected.")
