"""``secure``: a well-run Microsoft 365 E5 tenant. Every applicable check passes.

Entra ID P1 and P2, Intune, Exchange Online, SharePoint and the Defender plans come with the E5 SKU.
Global Administrator is held only by two break-glass accounts (time-bound, through PIM); the head
of IT is eligible for it, day-to-day admins use separate unlicensed admin accounts with
phishing-resistant methods, and User Administrator is held through a role-assignable group. Not
applicable: the three hybrid-only checks (cloud-only tenant, reason ``not_hybrid``).
"""

from __future__ import annotations

from sim.profiles._catalogue import (
    DEFENDER,
    ENTRA_P1,
    ENTRA_P2,
    EXCHANGE,
    EXCHANGE_ADMIN,
    GLOBAL_ADMIN,
    INTUNE,
    PRIVILEGED_ROLE_ADMIN,
    PRIVILEGED_ROLES,
    SECURITY_ADMIN,
    SHAREPOINT,
    SHAREPOINT_ADMIN,
    USER_ADMIN,
)
from sim.profiles._spec import (
    AUTHENTICATOR,
    GUEST_RESTRICTED,
    PASSKEY,
    PHISHING_RESISTANT,
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
    RoleGroup,
    SharePoint,
    Spec,
    break_glass_account,
)

__all__ = ["SPEC"]

_DMARC = "v=DMARC1; p=reject; pct=100; rua=mailto:dmarc-reports@{custom}; ruf=mailto:dmarc-forensics@{custom}"

PEOPLE = (
    # The only active Global Administrators (entra.roles.global_admin_count: 2), time-bound so that
    # entra.pim.no_permanent_active passes without a configured break-glass list; tested monthly.
    break_glass_account("01", RoleGrant(GLOBAL_ADMIN, "timebound"), last_sign_in_days=3.0),
    break_glass_account("02", RoleGrant(GLOBAL_ADMIN, "timebound"), last_sign_in_days=3.0),
    Person("adm-mateo.rossi", "Mateo", "Rossi", "Head of IT", display_name="Admin - Mateo Rossi",
           methods=PHISHING_RESISTANT,
           roles=(RoleGrant(GLOBAL_ADMIN, "eligible"), RoleGrant(PRIVILEGED_ROLE_ADMIN, "timebound"))),
    Person("adm-priya.patel", "Priya", "Patel", "Messaging Administrator", display_name="Admin - Priya Patel",
           methods=("passKeyDeviceBoundAuthenticator",),
           roles=(RoleGrant(EXCHANGE_ADMIN, "activated"), RoleGrant(SHAREPOINT_ADMIN, "eligible"))),
    Person("adm-omar.haddad", "Omar", "Haddad", "Security Officer", display_name="Admin - Omar Haddad",
           methods=("windowsHelloForBusiness", "fido2"), roles=(RoleGrant(SECURITY_ADMIN, "timebound"),),
           pim_approver=True),  # approves Global Administrator activations (entra.pim.ga_activation_approval)
    Person("adm-lidia.novak", "Lidia", "Novak", "Service Desk", display_name="Admin - Lidia Novak", methods=PASSKEY),
    Person("adm-kenji.ito", "Kenji", "Ito", "Service Desk", display_name="Admin - Kenji Ito",
           methods=("windowsHelloForBusiness",)),
    Person("info", "Info", "Mailbox", kind="shared", enabled=False, display_name="Info"),
    # A leaver: disabled, so neither inactive nor unregistered counts against the tenant.
    Person("grady.olsen", "Grady", "Olsen", "Sales Manager", enabled=False, last_sign_in_days=150.0,
           methods=AUTHENTICATOR),
)

CA_POLICIES = (
    CaPolicy("CA001: Block legacy authentication", client_app_types=("exchangeActiveSync", "other"),
             grant=("block",)),
    CaPolicy("CA002: Phishing-resistant MFA and 4-hour sessions for admins", include_users=(),
             include_roles=PRIVILEGED_ROLES, strength="phishing_resistant", admin_session=True),
    CaPolicy("CA003: Phishing-resistant MFA for all users", strength="phishing_resistant"),
    CaPolicy("CA004: Block high sign-in risk", sign_in_risk=("high",), grant=("block",)),
    CaPolicy("CA005: High user risk requires password change", user_risk=("high",),
             grant=("mfa", "passwordChange"), operator="AND"),
    CaPolicy("CA006: Block device code flow and authentication transfer",
             transfer_methods="deviceCodeFlow,authenticationTransfer", grant=("block",)),
    CaPolicy("CA007: Require compliant or hybrid joined device", grant=("compliantDevice", "domainJoinedDevice")),
    CaPolicy("CA008: Register security info from a managed device only", include_apps=(),
             user_actions=("urn:user:registersecurityinfo",), grant=("compliantDevice", "domainJoinedDevice")),
)

SPEC = Spec(
    name="secure",
    description="Microsoft 365 E5 (Entra ID P1 and P2, Intune, Defender): every applicable check passes.",
    default_users=60,
    licences=Licences(skus=("SPE_E5",)),
    # Microsoft 365 E5: Entra ID P1 and P2, Intune, Exchange Online, SharePoint Online.
    gates=frozenset({ENTRA_P1, ENTRA_P2, INTUNE, EXCHANGE, SHAREPOINT, DEFENDER}),
    # Adding client secrets is blocked for every app, so their lifetime limit has nothing to judge (ScubaGear).
    not_applicable={"entra.apps.secret_lifetime_limited": "password_addition_blocked"},
    filler=Filler(skus=("SPE_E5",), method_sets=(("microsoftAuthenticatorPasswordless", "fido2"),
                                                 ("windowsHelloForBusiness", "microsoftAuthenticatorPush"),
                                                 PASSKEY)),
    people=PEOPLE,
    groups=(RoleGroup("sg-role-useradmins", "SG-Role-UserAdministrators", RoleGrant(USER_ADMIN, "timebound"),
                      ("adm-lidia.novak", "adm-kenji.ito")),),
    ca_policies=CA_POLICIES,
    authz=Authz(allow_invites_from="adminsAndGuestInviters", guest_role=GUEST_RESTRICTED, user_consent=None,
                risky_app_consent=False, block_msol=True, create_apps=False, create_security_groups=False,
                create_tenants=False, read_bitlocker_keys=False),
    auth_methods=AuthMethods(migration_state="migrationComplete", sms="off", email=False,
                             authenticator_context="enabled", fido2="hardened", tap="one_time", campaign="enabled"),
    directory=Directory(
        security_defaults=False,  # replaced by Conditional Access (entra.secdef.enabled passes through CA)
        admin_consent_workflow=True, app_password_restriction=True, cross_tenant_inbound_blocked=True,
        idle_timeout="01:00:00", device_join="selected", ga_local_admin=False, laps=True,
        unified_group_creation="restricted",
        password_rules=PasswordRules(banned_list=True, lockout_threshold=5, lockout_duration_s=120,
                                     onprem_enabled=True, onprem_mode="Enforce"),
        password_validity_days=(2147483647, 2147483647),
        app_secrets=(AppSecret("Invoice OCR Integration", lifetime_days=170, age_days=10),),
    ),
    sharepoint=SharePoint(sharing="existingExternalUserSharingOnly", domain_mode="allowList", reshare=False,
                          legacy_auth=False),
    intune=Intune(secure_by_default=True,
                  policies=(("Windows", True), ("iOS", True), ("Android", True), ("macOS", True)),
                  platforms=("Windows", "Windows", "iOS", "Android", "macOS"), noncompliant_per_20=1),
    exchange=Exchange(smtp_auth_disabled=True, outbound_policies=(("Default", "Off"),),
                      remote_default_autoforward=False, dkim_custom_domain=True,
                      # exo.sharing.*: free/busy with one named partner only; exo.external_sender_warning: tagged.
                      sharing_domains=("fabrikam-partner.example:CalendarSharingFreeBusySimple",),
                      external_sender_warning=True,
                      # exo.spf_published, exo.dmarc.*: both domains reject spoofed mail and report it.
                      dmarc_custom=_DMARC, dmarc_initial=_DMARC,
                      # exo.protection.*: the Strict preset for every recipient; files scanned in SharePoint,
                      # OneDrive and Teams.
                      preset="Strict", atp_for_files=True),
    pim_hardened=True,
    secure_score=0.82,
    # Everything passes; the passes that carry a reason say why.
    reasons={"entra.authmethods.sms_not_for_sign_in": "sms_disabled",
             "entra.guests.access_restricted": "restricted",
             "entra.secdef.enabled": "replaced_by_conditional_access"},
    fails=frozenset(),
)
