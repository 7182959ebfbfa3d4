"""``free``: a small business on Microsoft 365 Business Standard and Basic: no Entra ID P1.

Security defaults are on (so ``entra.secdef.enabled`` passes), and every check gated on Entra ID P1,
P2 or Intune is not applicable (Conditional Access, MFA registration, PIM, stale or inactive
accounts, password protection, Intune). Exchange Online and SharePoint are licensed and mostly at
their defaults. Business Standard carries ``INTUNE_O365`` (basic mobility), which is not Intune.
"""

from __future__ import annotations

from sim.profiles._catalogue import EXCHANGE, GLOBAL_ADMIN, SHAREPOINT
from sim.profiles._spec import (
    AUTHENTICATOR,
    AuthMethods,
    Authz,
    Directory,
    Exchange,
    Filler,
    Licences,
    Person,
    RoleGrant,
    Spec,
)

__all__ = ["SPEC"]

_GA = (RoleGrant(GLOBAL_ADMIN),)

PEOPLE = (
    # Two Global Administrators (count and ratio pass), both licensed daily accounts
    # (entra.roles.admin_licence_footprint).
    Person("alex.wilber", "Alex", "Wilber", "Office Manager", sku="O365_BUSINESS_PREMIUM", roles=_GA),
    Person("nestor.wilke", "Nestor", "Wilke", "Owner", sku="O365_BUSINESS_PREMIUM", roles=_GA),
    Person("info", "Info", "Mailbox", kind="shared", enabled=False, display_name="Info"),
)

SPEC = Spec(
    name="free",
    description="Microsoft 365 Business Standard and Basic (no Entra ID P1): security defaults on; "
                "P1, P2 and Intune checks not applicable.",
    default_users=15,
    licences=Licences(skus=("O365_BUSINESS_PREMIUM", "O365_BUSINESS_ESSENTIALS")),
    # Business Standard and Basic: Exchange Online and SharePoint Online; no Entra ID P1, no Intune.
    gates=frozenset({EXCHANGE, SHAREPOINT}),
    # Security defaults made everyone register Microsoft Authenticator.
    filler=Filler(skus=("O365_BUSINESS_PREMIUM", "O365_BUSINESS_ESSENTIALS"), method_sets=(AUTHENTICATOR,)),
    people=PEOPLE,
    authz=Authz(
        # Microsoft-managed consent: users may still consent (entra.authz.user_consent_restricted).
        user_consent="ManagePermissionGrantsForSelf.microsoft-user-default-recommended",
        # Defaults: anyone invites guests, creates apps, tenants and security groups, reads BitLocker
        # keys; MSOnline PowerShell not blocked (six authz and guest checks fail).
    ),
    auth_methods=AuthMethods(
        migration_state=None,  # null: treated as complete (entra.authmethods.migration_complete passes)
        sms="second_factor",  # entra.authmethods.weak_methods_disabled (Email OTP is on as well)
        authenticator_context="default",  # entra.authmethods.authenticator_context: Microsoft-managed
        fido2="off",  # entra.authmethods.fido2_hardened
        campaign="default",  # entra.authmethods.registration_campaign
    ),
    # Defaults: no admin consent workflow, no app credential policy, inbound B2B open, no idle timeout,
    # anyone joins devices, GAs local admins, no LAPS, anyone creates M365 groups (each check fails).
    directory=Directory(security_defaults=True),
    # Defaults: the Default remote domain auto-forwards (exo.forwarding.remote_domains); DKIM never
    # enabled for the custom domain (exo.dkim_enabled). SMTP AUTH off, as for tenants created lately. SPF as
    # the setup wizard asked; no DMARC record anywhere (exo.dmarc.*).
    # The default sharing policy shares free/busy with every domain, and nothing tags external mail.
    exchange=Exchange(),
    secure_score=0.45,  # securescore.overall
    # The reason of every verdict that carries one, from the defaults above.
    reasons={"entra.roles.least_privilege_ratio": "global_admins_outnumber_others",
             "entra.apps.credential_policy": "policy_disabled",
             "entra.apps.secret_lifetime_limited": "policy_disabled",
             "entra.apps.certificate_lifetime_limited": "policy_disabled",
             "entra.authmethods.fido2_hardened": "fido2_disabled",
             "entra.authmethods.migration_complete": "state_not_reported",  # passes: null reads as complete
             "entra.authmethods.registration_campaign": "campaign_not_enabled",  # Microsoft-managed
             "entra.authmethods.tap_one_time": "tap_disabled",
             "entra.consent.admin_workflow": "workflow_disabled",
             "entra.groups.m365_creation_restricted": "no_settings_object",  # no Group.Unified settings at all
             "entra.guests.access_restricted": "limited",
             "entra.session.idle_timeout": "no_default_timeout",
             "exo.external_sender_warning": "no_external_warning_rule"},
    fails=frozenset({
        "entra.authmethods.weak_methods_disabled",
        "entra.authmethods.authenticator_context",
        "entra.authmethods.fido2_hardened",
        "entra.authmethods.registration_campaign",
        "entra.roles.admin_licence_footprint",
        # Two Global Administrators and no narrower admin: ScubaGear's MS.AAD.7.2v1 asks for at least as many.
        "entra.roles.least_privilege_ratio",
        "entra.authz.no_user_app_registration",
        "entra.authz.user_consent_restricted",
        "entra.authz.no_tenant_creation",
        "entra.authz.no_security_group_creation",
        "entra.authz.bitlocker_keys_restricted",
        "entra.authz.msol_powershell_blocked",
        "entra.consent.admin_workflow",
        "entra.guests.invite_restricted",
        "entra.guests.cross_tenant_inbound_blocked",
        "entra.groups.m365_creation_restricted",
        "entra.apps.credential_policy",
        "entra.apps.secret_lifetime_limited",  # the default app-management policy is off
        "entra.apps.certificate_lifetime_limited",
        "entra.devices.join_restricted",
        "entra.devices.laps_enabled",
        "entra.devices.ga_not_local_admin",
        "entra.session.idle_timeout",
        "exo.forwarding.remote_domains",
        "exo.dkim_enabled",
        "exo.dmarc.published",
        "exo.dmarc.reject",
        "exo.dmarc.reports",
        "exo.sharing.calendar_not_shared_with_all",
        "exo.external_sender_warning",
        # SharePoint defaults: Anyone links, no domain limits, reshare on, legacy auth on.
        "spo.sharing.level",
        "spo.sharing.domain_restricted",
        "spo.sharing.no_guest_reshare",
        "spo.legacy_auth_disabled",
        "securescore.overall",
    }),
)
