"""Email protection objects of the Exchange admin API: preset security policy rules, anti-malware,
anti-spam and connection filter policies, and, with Defender for Office 365, Safe Attachments, Safe
Links and the ATP policy for SharePoint, OneDrive and Teams.

Every tenant has the default policies (the built-in protection policies for Safe Attachments and Safe
Links) and both presets' policies and rules, as Microsoft creates them; ``Exchange.preset`` turns one
preset on for every recipient. The preset policies carry Microsoft's recommended settings; the default
policies carry the profile's knobs. Decision: the simulator's built-in Safe Links policy does not check
mail between internal senders unless the profile says so (``safe_links_internal``).
"""

from __future__ import annotations

from typing import Any

from sim.profiles._context import Context
from sim.profiles._spec import Exchange

__all__ = ["build_protection"]

_FILE_TYPES = ["ace", "apk", "app", "appx", "ani", "arj", "bat", "cab", "cmd", "com", "deb", "dex", "dll", "docm",
               "elf", "exe", "hta", "img", "iso", "jar", "jnlp", "kext", "lha", "lib", "library", "lnk", "lzh",
               "macho", "msc", "msi", "msix", "msp", "mst", "pif", "ppa", "ppam", "reg", "rev", "scf", "scr", "sct",
               "sys", "uif", "vb", "vbe", "vbs", "vxd", "wsc", "wsf", "wsh", "xll", "xz", "z"]
_LEVELS = ("Strict", "Standard")


def build_protection(ctx: Context, x: Exchange, defender: bool) -> dict[str, list[dict[str, Any]]]:
    """The protection cmdlets' objects; the Defender ones only when ``defender``."""
    names = {(level, kind): f"{level} Preset Security Policy{1659535429000 + i * 7 + j}"
             for i, level in enumerate(_LEVELS) for j, kind in enumerate(("spam", "phish", "malware", "sa", "sl"))}
    eop = [_rule(level, x.preset == level, {"HostedContentFilterPolicy": names[level, "spam"],
                                            "AntiPhishPolicy": names[level, "phish"],
                                            "MalwareFilterPolicy": names[level, "malware"]}) for level in _LEVELS]
    data: dict[str, list[dict[str, Any]]] = {
        "Get-EOPProtectionPolicyRule": eop,
        "Get-MalwareFilterPolicy": [
            _malware("Default", "Custom", x.malware_file_filter, x.malware_zap, default=True),
            *(_malware(names[level, "malware"], level, True, True) for level in _LEVELS)],
        "Get-HostedContentFilterPolicy": [
            _spam("Default", "Custom", x.spam_action, list(x.allowed_sender_domains), default=True),
            *(_spam(names[level, "spam"], level, "Quarantine" if level == "Strict" else "MoveToJmf", [])
              for level in _LEVELS)],
        "Get-AntiPhishPolicy": [
            _antiphish("Office365 AntiPhish Default", "Custom", x.domain_impersonation, x.safety_tips, default=True),
            *(_antiphish(names[level, "phish"], level, True, True) for level in _LEVELS)],
        "Get-HostedConnectionFilterPolicy": [{
            "Identity": "Default", "Name": "Default", "IsDefault": True, "IPAllowList": list(x.ip_allow_list),
            "IPBlockList": [], "EnableSafeList": x.safe_list, "DirectoryBasedEdgeBlockMode": "Default",
            "IsValid": True}],
    }
    if defender:
        data["Get-ATPProtectionPolicyRule"] = [
            _rule(level, x.preset == level, {"SafeAttachmentPolicy": names[level, "sa"],
                                             "SafeLinksPolicy": names[level, "sl"]}) for level in _LEVELS]
        data["Get-SafeAttachmentPolicy"] = [
            _safe_attachments("Built-In Protection Policy", "Custom", x.safe_attachments_action, built_in=True),
            *(_safe_attachments(names[level, "sa"], level, "Block") for level in _LEVELS)]
        data["Get-SafeLinksPolicy"] = [
            _safe_links("Built-In Protection Policy", "Custom", x.safe_links_internal, built_in=True),
            *(_safe_links(names[level, "sl"], level, True) for level in _LEVELS)]
        data["Get-AtpPolicyForO365"] = [{"Identity": "Default", "Name": "Default",
                                         "EnableATPForSPOTeamsODB": x.atp_for_files, "EnableSafeDocs": False,
                                         "AllowSafeDocsOpen": False, "IsValid": True}]
    return data


def _rule(level: str, everyone: bool, policies: dict[str, str]) -> dict[str, Any]:
    # A preset not turned on for everyone is left as Microsoft creates it: disabled, no recipients.
    return {"Identity": f"{level} Preset Security Policy", "Name": f"{level} Preset Security Policy",
            "State": "Enabled" if everyone else "Disabled", "Priority": _LEVELS.index(level), "SentTo": None,
            "SentToMemberOf": None, "RecipientDomainIs": None, "ExceptIfSentTo": None,
            "ExceptIfSentToMemberOf": None, "ExceptIfRecipientDomainIs": None, "Comments": None, "IsValid": True,
            **policies}


def _malware(name: str, kind: str, file_filter: bool, zap: bool, default: bool = False) -> dict[str, Any]:
    return {"Identity": name, "Name": name, "IsDefault": default, "RecommendedPolicyType": kind,
            "EnableFileFilter": file_filter, "FileTypes": list(_FILE_TYPES), "FileTypeAction": "Reject",
            "ZapEnabled": zap, "EnableInternalSenderAdminNotifications": False,
            "EnableExternalSenderAdminNotifications": False, "QuarantineTag": "AdminOnlyAccessPolicy", "IsValid": True}


def _spam(name: str, kind: str, spam_action: str, allowed: list[str], default: bool = False) -> dict[str, Any]:
    return {"Identity": name, "Name": name, "IsDefault": default, "RecommendedPolicyType": kind,
            "SpamAction": spam_action, "HighConfidenceSpamAction": "Quarantine", "PhishSpamAction": "Quarantine",
            "HighConfidencePhishAction": "Quarantine", "BulkSpamAction": "MoveToJmf", "BulkThreshold": 7,
            "AllowedSenders": [], "AllowedSenderDomains": allowed, "BlockedSenders": [], "BlockedSenderDomains": [],
            "MarkAsSpamBulkMail": "On", "SpamZapEnabled": True, "PhishZapEnabled": True,
            "QuarantineRetentionPeriod": 30, "IsValid": True}


def _antiphish(name: str, kind: str, impersonation: bool, tips: bool, default: bool = False) -> dict[str, Any]:
    return {"Identity": name, "Name": name, "IsDefault": default, "RecommendedPolicyType": kind, "Enabled": True,
            "EnableSpoofIntelligence": True, "EnableMailboxIntelligence": True, "EnableTargetedUserProtection": False,
            "TargetedUsersToProtect": [], "EnableOrganizationDomainsProtection": impersonation,
            "TargetedDomainProtectionAction": "Quarantine" if impersonation else "NoAction",
            "EnableFirstContactSafetyTips": tips, "EnableSimilarUsersSafetyTips": tips,
            "EnableSimilarDomainsSafetyTips": tips, "EnableUnusualCharactersSafetyTips": tips,
            "EnableUnauthenticatedSender": True, "EnableViaTag": True, "AuthenticationFailAction": "MoveToJmf",
            "IsValid": True}


def _safe_attachments(name: str, kind: str, action: str, built_in: bool = False) -> dict[str, Any]:
    return {"Identity": name, "Name": name, "RecommendedPolicyType": kind, "IsBuiltInProtection": built_in,
            "Enable": True, "Action": action, "QuarantineTag": "AdminOnlyAccessPolicy", "Redirect": False,
            "RedirectAddress": None, "IsValid": True}


def _safe_links(name: str, kind: str, internal: bool, built_in: bool = False) -> dict[str, Any]:
    return {"Identity": name, "Name": name, "RecommendedPolicyType": kind, "IsBuiltInProtection": built_in,
            "EnableSafeLinksForEmail": True, "EnableSafeLinksForTeams": True, "EnableSafeLinksForOffice": True,
            "TrackClicks": True, "AllowClickThrough": False, "ScanUrls": True, "EnableForInternalSenders": internal,
            "DeliverMessageAfterScan": True, "DisableUrlRewrite": False, "DoNotRewriteUrls": [],
            "EnableOrganizationBranding": False, "IsValid": True}
