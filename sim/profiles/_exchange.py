"""Exchange Online objects as the admin API's ``InvokeCommand`` returns them (PowerShell property
names, PascalCase), keyed by cmdlet name.

Every licensed member with an Exchange plan has a ``UserMailbox``; every shared-mailbox user a
``SharedMailbox``. ``ExternalDirectoryObjectId`` is the Graph user id. Per-mailbox settings
(forwarding, SMTP AUTH) come from the placed person; filler mailboxes keep the defaults.
"""

from __future__ import annotations

import base64
from typing import Any

from sim.profiles._context import Context
from sim.profiles._skus import SKUS
from sim.profiles._spec import Exchange
from sim.profiles._users import BuiltUser

__all__ = ["build_dns", "build_exchange"]


def build_exchange(ctx: Context, x: Exchange, users: list[BuiltUser]) -> dict[str, list[dict[str, Any]]]:
    """Objects for every cmdlet the scanner runs, plus Get-AcceptedDomain."""
    mailboxes: list[dict[str, Any]] = []
    cas: list[dict[str, Any]] = []
    for u in users:
        kind = _mailbox_kind(u)
        if kind is None:
            continue
        mailboxes.append(_mailbox(ctx, u, kind))
        cas.append(_cas_mailbox(u))
    return {
        "Get-TransportConfig": [_transport_config(ctx, x)],
        "Get-OrganizationConfig": [_organization_config(ctx, x)],
        "Get-AdminAuditLogConfig": [{
            "Identity": "Admin Audit Log Settings", "Name": "Admin Audit Log Settings", "AdminAuditLogEnabled": True,
            "UnifiedAuditLogIngestionEnabled": x.unified_audit, "UnifiedAuditLogFirstOptInDate": ctx.ago(900),
            "AdminAuditLogAgeLimit": "90.00:00:00", "AdminAuditLogCmdlets": ["*"], "AdminAuditLogParameters": ["*"],
            "IsValid": True,
        }],
        "Get-HostedOutboundSpamFilterPolicy": [
            {"Identity": name, "Name": name, "AutoForwardingMode": mode, "IsDefault": name == "Default",
             "Enabled": True, "RecipientLimitExternalPerHour": 0, "RecipientLimitInternalPerHour": 0,
             "RecipientLimitPerDay": 0, "ActionWhenThresholdReached": "BlockUserForToday",
             "BccSuspiciousOutboundMail": False, "NotifyOutboundSpam": False}
            for name, mode in x.outbound_policies
        ],
        "Get-RemoteDomain": [{
            "Identity": "Default", "Name": "Default", "DomainName": "*",
            "AutoForwardEnabled": x.remote_default_autoforward,
            "AutoReplyEnabled": True, "AllowedOOFType": "External", "DeliveryReportEnabled": True, "NDREnabled": True,
            "TNEFEnabled": None, "CharacterSet": "iso-8859-1", "IsInternal": False,
        }],
        "Get-DkimSigningConfig": [
            _dkim(ctx, ctx.custom_domain, x.dkim_custom_domain),
            _dkim(ctx, ctx.initial_domain, True),
        ],
        "Get-AcceptedDomain": [
            {"Identity": d, "Name": d, "DomainName": d, "DomainType": "Authoritative",
             "Default": d == ctx.initial_domain, "InitialDomain": d == ctx.initial_domain,
             "IsCoexistenceDomain": False}
            for d in (ctx.initial_domain, ctx.custom_domain)
        ],
        "Get-CASMailbox": cas,
        "Get-Mailbox": mailboxes,
        "Get-SharingPolicy": [{
            "Identity": "Default Sharing Policy", "Name": "Default Sharing Policy", "Domains": list(x.sharing_domains),
            "Enabled": True, "Default": True, "IsValid": True,
        }],
        "Get-TransportRule": _transport_rules(x),
    }


def _transport_rules(x: Exchange) -> list[dict[str, Any]]:
    # Every tenant has some rule (a disclaimer on outgoing mail); the warning rule is the profile's choice.
    rules = [{"Identity": "Outgoing disclaimer", "Name": "Outgoing disclaimer", "State": "Enabled", "Mode": "Enforce",
              "Priority": 0, "FromScope": None, "SentToScope": "NotInOrganization", "PrependSubject": None,
              "ApplyHtmlDisclaimerText": "<p>This message is confidential.</p>", "IsValid": True}]
    if x.external_sender_warning:
        rules.append({"Identity": "Tag external mail", "Name": "Tag external mail", "State": "Enabled",
                      "Mode": "Enforce", "Priority": 1, "FromScope": "NotInOrganization", "SentToScope": None,
                      "PrependSubject": "[EXTERNAL] ", "ApplyHtmlDisclaimerText": None, "IsValid": True})
    return rules


def _mailbox_kind(u: BuiltUser) -> str | None:
    if u.kind == "shared":
        return "SharedMailbox"
    if u.kind == "member" and u.sku is not None and SKUS[u.sku].has_exchange:
        return "UserMailbox"
    return None


def _forwarding(ctx: Context, u: BuiltUser) -> str | None:
    target = u.person.forward_to if u.person else None
    if target is None:
        return None
    return target.format(custom=ctx.custom_domain, CUSTOM=ctx.custom_domain.upper())


def _mailbox(ctx: Context, u: BuiltUser, kind: str) -> dict[str, Any]:
    g = u.graph
    alias = g["mailNickname"]
    return {
        "Identity": alias,
        "Name": alias,
        "Alias": alias,
        "DisplayName": g["displayName"],
        "UserPrincipalName": g["userPrincipalName"],
        "PrimarySmtpAddress": g["mail"],
        "EmailAddresses": [f"SMTP:{g['mail']}", f"smtp:{alias}@{ctx.custom_domain}"],
        "ExternalDirectoryObjectId": g["id"],
        "Guid": ctx.uid("mailbox", g["id"]),
        "ExchangeGuid": ctx.uid("exchange-guid", g["id"]),
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": kind,
        "ForwardingSmtpAddress": _forwarding(ctx, u),
        "ForwardingAddress": None,
        "DeliverToMailboxAndForward": _forwarding(ctx, u) is not None,
        "AuditEnabled": True,
        "HiddenFromAddressListsEnabled": False,
        "LitigationHoldEnabled": False,
        "IsShared": kind == "SharedMailbox",
        "WhenCreated": g["createdDateTime"],
    }


def _cas_mailbox(u: BuiltUser) -> dict[str, Any]:
    g = u.graph
    return {
        "Identity": g["mailNickname"],
        "Name": g["mailNickname"],
        "DisplayName": g["displayName"],
        "PrimarySmtpAddress": g["mail"],
        "ExternalDirectoryObjectId": g["id"],
        "SmtpClientAuthenticationDisabled": u.person.smtp_auth_disabled if u.person else None,
        "ActiveSyncEnabled": True,
        "OWAEnabled": True,
        "PopEnabled": True,
        "ImapEnabled": True,
        "MAPIEnabled": True,
        "EwsEnabled": True,
    }


def _transport_config(ctx: Context, x: Exchange) -> dict[str, Any]:
    return {
        "Identity": "Transport Settings",
        "Name": "Transport Settings",
        "SmtpClientAuthenticationDisabled": x.smtp_auth_disabled,
        "AllowLegacyTLSClients": False,
        "ExternalPostmasterAddress": None,
        "MaxReceiveSize": "36 MB (37,748,736 bytes)",
        "MaxSendSize": "35 MB (36,700,160 bytes)",
        "MaxRecipientEnvelopeLimit": "500",
        "ReplyAllStormProtectionEnabled": True,
        "Guid": ctx.uid("transport-config"),
    }


def _organization_config(ctx: Context, x: Exchange) -> dict[str, Any]:
    return {
        "Identity": ctx.initial_domain,
        "Name": ctx.initial_domain,
        "DisplayName": ctx.display_name,
        "AuditDisabled": x.audit_disabled,
        "OAuth2ClientProfileEnabled": x.oauth2,
        "IsDehydrated": False,
        "MailTipsExternalRecipientsTipsEnabled": False,
        "CustomerLockBoxEnabled": False,
        "Guid": ctx.uid("organization-config"),
    }


def build_dns(ctx: Context, x: Exchange) -> dict[str, list[str] | None]:
    """The TXT records the tenant's two domains publish (``Tenant.dns``)."""
    custom, initial = ctx.custom_domain, ctx.initial_domain
    dns: dict[str, list[str] | None] = {
        initial: ["v=spf1 include:spf.protection.outlook.com -all"],
        custom: [f"MS=ms{ctx.uid('domain-verification', custom)[:8]}"],
    }
    if x.spf_custom is not None:
        dns[custom] = [*(dns[custom] or []), x.spf_custom.format(custom=custom)]
    keyed = [initial]
    if x.dkim_keys_published if x.dkim_keys_published is not None else x.dkim_custom_domain:
        keyed.append(custom)
    for domain in keyed:
        for selector in ("selector1", "selector2"):
            dns[f"{selector}._domainkey.{domain}"] = [f"v=DKIM1; k=rsa; p={_dkim_key(ctx, domain, selector)}"]
    for domain, record in ((custom, x.dmarc_custom), (initial, x.dmarc_initial)):
        if record is not None:
            dns[f"_dmarc.{domain}"] = [record.format(custom=custom)]
    return dns


def _dkim_key(ctx: Context, domain: str, selector: str) -> str:
    # Looks like a 1024-bit RSA public key (the DER prefix, then base64); nobody verifies it.
    body = "".join(ctx.uid("dkim", domain, selector, str(i)).replace("-", "") for i in range(5))
    return "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ" + base64.b64encode(bytes.fromhex(body)).decode() + "IDAQAB"


def _dkim(ctx: Context, domain: str, enabled: bool) -> dict[str, Any]:
    first = domain.split(".")[0]
    return {
        "Identity": domain,
        "Name": domain,
        "Domain": domain,
        "Enabled": enabled,
        "Status": "Valid" if enabled else "Disabled",
        "Selector1CNAME": f"selector1-{first}._domainkey.{ctx.initial_domain}",
        "Selector2CNAME": f"selector2-{first}._domainkey.{ctx.initial_domain}",
        "KeySize": 2048,
        "LastChecked": ctx.ago(1),
    }
