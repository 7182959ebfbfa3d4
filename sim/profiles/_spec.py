"""The knobs a profile turns: a declarative description of one kind of tenant.

Every knob's default is what a Microsoft 365 tenant has out of the box (or the setting most small
tenants are left with), so a profile lists only where it differs, each with a comment naming the
check it decides. The builders (``_users``, ``_roles``, ``_policies``, ``_directory``, ``_services``,
``_exchange``) turn a ``Spec`` into Graph and Exchange objects; ``_expected`` turns its ``fails``
and its licences into expected verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "AUTHENTICATOR",
    "GUEST_LIMITED",
    "GUEST_MEMBER",
    "GUEST_RESTRICTED",
    "NONE",
    "PASSKEY",
    "PHISHING_RESISTANT",
    "SMS",
    "AppSecret",
    "AuthMethods",
    "Authz",
    "CaPolicy",
    "DirSync",
    "Directory",
    "Exchange",
    "Filler",
    "Intune",
    "Licences",
    "PasswordRules",
    "Person",
    "RoleGrant",
    "RoleGroup",
    "SharePoint",
    "Spec",
    "break_glass_account",
]

#: How a role is held. ``direct``: assigned outside PIM (no start date); ``permanent``: active through
#: PIM without end; ``timebound``: active through PIM with an end date; ``activated``: a PIM
#: activation of an eligible assignment (hours long); ``eligible``: eligible only (not active).
RoleMode = Literal["direct", "permanent", "timebound", "activated", "eligible"]

GUEST_RESTRICTED = "2af84b1e-32c8-42b7-82bc-daa82404023b"
GUEST_LIMITED = "10dae51f-b6af-4016-8d66-8c2a99b929b3"
GUEST_MEMBER = "a0b1b346-4d3e-4e8b-98f8-753987be4970"

#: Registered authentication methods (userRegistrationDetails ``methodsRegistered``).
AUTHENTICATOR = ("microsoftAuthenticatorPush", "softwareOneTimePasscode")
PHISHING_RESISTANT = ("fido2", "windowsHelloForBusiness")
PASSKEY = ("passKeyDeviceBound",)
SMS = ("mobilePhone",)
NONE: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleGrant:
    role: str
    mode: RoleMode = "direct"


@dataclass(frozen=True)
class Person:
    """A user placed on purpose: one whose data decides a verdict.

    Attributes:
        key: stable key; also the local part of the user principal name.
        kind: ``member``, ``guest`` or ``shared`` (a shared mailbox's user object).
        sku: SKU key (``_skus.SKUS``) assigned, or None for an unlicensed account.
        last_sign_in_days: days since the last successful sign-in; None: never signed in.
        forward_to: Get-Mailbox ``ForwardingSmtpAddress``; ``{custom}`` / ``{CUSTOM}`` become the
            tenant's custom domain (upper-cased for the latter).
        smtp_auth_disabled: Get-CASMailbox ``SmtpClientAuthenticationDisabled`` (None inherits).
    """

    key: str
    given: str
    surname: str
    job_title: str = "Staff"
    kind: Literal["member", "guest", "shared"] = "member"
    enabled: bool = True
    sku: str | None = None
    synced: bool = False
    last_sign_in_days: float | None = 1.0
    created_days: int = 700
    methods: tuple[str, ...] = AUTHENTICATOR
    roles: tuple[RoleGrant, ...] = ()
    break_glass: bool = False
    pim_approver: bool = False
    forward_to: str | None = None
    smtp_auth_disabled: bool | None = None
    guest_domain: str = "fabrikam.com"
    display_name: str | None = None


def break_glass_account(number: str, grant: RoleGrant, last_sign_in_days: float) -> Person:
    """An emergency-access account: cloud-only, unlicensed, FIDO2 only, excluded from every CA policy."""
    return Person(f"breakglass{number}", "Emergency", f"Access {number}", "Emergency access account",
                  display_name=f"Emergency Access {number}", methods=("fido2", "passKeyDeviceBound"), roles=(grant,),
                  break_glass=True, last_sign_in_days=last_sign_in_days)


@dataclass(frozen=True)
class RoleGroup:
    """A role-assignable security group holding a role; its members are Person keys."""

    key: str
    display_name: str
    grant: RoleGrant
    members: tuple[str, ...]


@dataclass(frozen=True)
class Filler:
    """Ordinary users added to reach the requested user count; they never decide a verdict.

    Attributes:
        skus: SKU keys of filler members: the first for most, the others in turn for every
            fourth member.
        method_sets: registered methods, cycled by index.
        guest_every: every n-th filler user is a guest (active, unlicensed).
    """

    skus: tuple[str, ...]
    method_sets: tuple[tuple[str, ...], ...] = (AUTHENTICATOR,)
    guest_every: int = 12
    synced: bool = False


@dataclass(frozen=True)
class Licences:
    """Subscribed SKUs. ``spare``: ``few`` buys 2 seats more than used (tenant.licences.unused
    passes); ``many`` buys a fifth more plus 5 (fails whatever the user count)."""

    skus: tuple[str, ...]
    spare: Literal["few", "many"] = "few"
    expired_trials: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaPolicy:
    """One Conditional Access policy (full v1.0 shape built by ``_policies``)."""

    name: str
    state: Literal["enabled", "disabled", "enabledForReportingButNotEnforced"] = "enabled"
    include_users: tuple[str, ...] = ("All",)
    include_roles: tuple[str, ...] = ()
    include_apps: tuple[str, ...] = ("All",)
    user_actions: tuple[str, ...] = ()
    client_app_types: tuple[str, ...] = ("all",)
    grant: tuple[str, ...] = ()
    operator: Literal["AND", "OR"] = "OR"
    strength: Literal["mfa", "phishing_resistant"] | None = None
    sign_in_risk: tuple[str, ...] = ()
    user_risk: tuple[str, ...] = ()
    transfer_methods: str | None = None
    outside_trusted_locations: bool = False
    admin_session: bool = False
    exclude_break_glass: bool = True


@dataclass(frozen=True)
class Authz:
    """/policies/authorizationPolicy."""

    allow_invites_from: str = "everyone"
    guest_role: str = GUEST_LIMITED
    user_consent: str | None = "ManagePermissionGrantsForSelf.microsoft-user-default-legacy"
    #: Delegated Graph permissions classified "low" (what users may consent to under the low-risk policy).
    low_risk_permissions: tuple[str, ...] = ()
    risky_app_consent: bool | None = None
    block_msol: bool | None = None
    create_apps: bool = True
    create_security_groups: bool = True
    create_tenants: bool = True
    read_bitlocker_keys: bool = True


@dataclass(frozen=True)
class AuthMethods:
    """/policies/authenticationMethodsPolicy. ``sms``: off, second factor only, or usable for
    sign-in; ``fido2``: off, on without restrictions, or hardened (attestation, AAGUID allow list)."""

    migration_state: str | None = "preMigration"
    sms: Literal["off", "second_factor", "sign_in"] = "sign_in"
    voice: bool = False
    email: bool = True
    authenticator: bool = True
    authenticator_context: Literal["default", "enabled", "disabled"] = "default"
    fido2: Literal["off", "open", "hardened"] = "off"
    tap: Literal["off", "multi_use", "one_time"] = "off"
    campaign: Literal["default", "enabled", "disabled"] = "default"


@dataclass(frozen=True)
class PasswordRules:
    """The "Password Rule Settings" directory setting (values are strings in Graph)."""

    banned_list: bool = False
    lockout_threshold: int = 10
    lockout_duration_s: int = 60
    onprem_enabled: bool = False
    onprem_mode: Literal["Audit", "Enforce"] = "Audit"


@dataclass(frozen=True)
class AppSecret:
    """A client secret on an app registration: started ``age_days`` ago, lasting ``lifetime_days``."""

    app: str
    lifetime_days: int
    age_days: int


@dataclass(frozen=True)
class DirSync:
    """/directory/onPremisesSynchronization features of a hybrid tenant."""

    password_hash_sync: bool = True
    block_soft_match: bool = False
    block_hard_match_takeover: bool = False


@dataclass(frozen=True)
class Directory:
    """Tenant-wide Entra settings other than CA, authorization and authentication methods."""

    security_defaults: bool = True
    admin_consent_workflow: bool = False
    app_password_restriction: bool = False
    cross_tenant_inbound_blocked: bool = False
    idle_timeout: str | None = None
    device_join: Literal["all", "selected", "none"] = "all"
    ga_local_admin: bool = True
    laps: bool = False
    unified_group_creation: Literal["absent", "allowed", "restricted"] = "absent"
    password_rules: PasswordRules | None = None
    password_validity_days: tuple[int | None, int | None] = (None, None)
    custom_domain_federated: bool = False
    app_secrets: tuple[AppSecret, ...] = ()
    hybrid: DirSync | None = None


@dataclass(frozen=True)
class SharePoint:
    """/admin/sharepoint/settings."""

    sharing: str = "externalUserAndGuestSharing"
    domain_mode: Literal["none", "allowList", "blockList"] = "none"
    reshare: bool = True
    legacy_auth: bool = True


@dataclass(frozen=True)
class Intune:
    """Intune settings, compliance policies and managed devices.

    Attributes:
        policies: (platform, assigned) per compliance policy; platforms Windows, iOS, Android, macOS.
        platforms: operating systems of managed devices, cycled by device index.
        noncompliant_per_20: devices in every 20 (by index) that are not compliant.
    """

    secure_by_default: bool = False
    policies: tuple[tuple[str, bool], ...] = ()
    platforms: tuple[str, ...] = ("Windows",)
    noncompliant_per_20: int = 0


@dataclass(frozen=True)
class Exchange:
    """Exchange Online organisation settings (per-mailbox ones are on ``Person``)."""

    smtp_auth_disabled: bool = True
    audit_disabled: bool = False
    oauth2: bool = True
    unified_audit: bool = True
    outbound_policies: tuple[tuple[str, str], ...] = (("Default", "Automatic"),)
    remote_default_autoforward: bool = True
    dkim_custom_domain: bool = False
    #: The default sharing policy's Domains; Microsoft's default shares free/busy with every domain.
    sharing_domains: tuple[str, ...] = ("Anonymous:CalendarSharingFreeBusyReviewer", "*:CalendarSharingFreeBusySimple")
    #: A transport rule tagging mail from outside ("[EXTERNAL] "); tenants start without one.
    external_sender_warning: bool = False
    #: Public DNS of the custom domain ({custom} stands for it): its SPF record (None: none published;
    #: Microsoft's setup wizard asks for this one), and its DMARC record and the initial
    #: (onmicrosoft.com) domain's, which tenants start without. Microsoft publishes the initial domain's
    #: SPF and DKIM keys; the custom domain's DKIM keys resolve once DKIM is switched on, unless
    #: ``dkim_keys_published`` says otherwise.
    spf_custom: str | None = "v=spf1 include:spf.protection.outlook.com -all"
    dmarc_custom: str | None = None
    dmarc_initial: str | None = None
    dkim_keys_published: bool | None = None
    #: Email protection (``sim.profiles._protection``): the preset security policy turned on for every
    #: recipient (``"Strict"``, ``"Standard"`` or None), and the default policies' settings, Microsoft's
    #: defaults unless changed.
    preset: str | None = None
    malware_file_filter: bool = True
    malware_zap: bool = True
    spam_action: str = "MoveToJmf"
    allowed_sender_domains: tuple[str, ...] = ()
    ip_allow_list: tuple[str, ...] = ()
    safe_list: bool = False
    safe_attachments_action: str = "Block"
    #: Defender for SharePoint, OneDrive and Teams files: off until an admin turns it on.
    atp_for_files: bool = False
    safe_links_internal: bool = False
    #: The default anti-phishing policy's impersonation protection of the company's own domains, and its
    #: optional safety tips (first contact, look-alike users and domains, unusual characters): off until set.
    domain_impersonation: bool = False
    safety_tips: bool = False


@dataclass(frozen=True)
class Spec:
    """One profile: its description, its tenant's knobs, and the checks its intent makes fail.

    ``fails`` lists every check that fails among those the licences allow; every other applicable
    check passes. ``reasons`` gives the expected reason of every pass or fail that carries one (the
    oracle compares every reason: a verdict without one here must carry none).
    ``gates`` is what the licences give, written out by hand from the SKUs' service plans (Microsoft's
    licensing pages), never computed: the scanner's detection of them is what is under test.
    """

    name: str
    description: str
    default_users: int
    licences: Licences
    filler: Filler
    people: tuple[Person, ...]
    fails: frozenset[str]
    gates: frozenset[str]
    #: Checks not applicable for a reason other than a licence (their data says so), with that reason.
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    groups: tuple[RoleGroup, ...] = ()
    ca_policies: tuple[CaPolicy, ...] = ()
    authz: Authz = Authz()
    auth_methods: AuthMethods = AuthMethods()
    directory: Directory = Directory()
    sharepoint: SharePoint = SharePoint()
    intune: Intune = Intune()
    exchange: Exchange = Exchange()
    pim_hardened: bool = False
    secure_score: float = 0.4
    reasons: Mapping[str, str] = field(default_factory=dict)
    consent: Literal["granted", "revoked"] = "granted"
    expected_status: str = "completed"
