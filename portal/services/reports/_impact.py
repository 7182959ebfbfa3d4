"""What a failing area means for the business, in words leadership reads, and what a licence gate needs.

Written per area, not per check: a board member reads "an attacker with one stolen password can sign
in" once, then the checks behind it. The check's own rationale says the technical why.
"""

from __future__ import annotations

__all__ = ["LICENCES", "TARGET_DAYS", "impact_of"]

_IMPACT = {
    "Conditional Access": "Sign-ins are not held to the organisation's rules: one stolen password can be enough "
                          "for an attacker to get in from anywhere.",
    "Authentication methods": "Weak sign-in methods stay open, so phishing and SIM-swap attacks can take over "
                              "accounts.",
    "MFA registration": "Accounts without a second factor fall to a single leaked or guessed password.",
    "Security defaults": "Microsoft's baseline protections are off with nothing in their place.",
    "Privileged roles": "Too many or poorly protected administrators: one compromised admin account can control "
                        "the whole tenant.",
    "PIM": "Administrator rights are held permanently instead of on request, widening the window an attacker can "
           "use them.",
    "Authorization policy": "Ordinary users can make changes that should be reserved to IT, which attackers exploit "
                            "once inside.",
    "Applications": "Applications hold credentials that can be stolen and reused to read company data without a "
                    "user signing in.",
    "Guest access": "People outside the organisation can see or invite more than they need to, risking data "
                    "leaving.",
    "Passwords": "Password rules allow easily guessed passwords or unlimited guessing.",
    "Devices": "Devices joining the organisation are not controlled, so an untrusted laptop can reach company "
               "data.",
    "Intune": "Company data is reachable from devices that do not meet the organisation's security standard.",
    "Sessions": "Unattended sessions stay signed in, so a shared or lost device keeps access open.",
    "Groups": "Anyone can create groups and sites, so data spreads where nobody governs it.",
    "Hybrid identity": "The link to the on-premises directory is stale or unprotected.",
    "Inactive accounts": "Accounts nobody uses are still enabled: forgotten doors an attacker can open unnoticed.",
    "Exchange Online": "Email can be forwarded out, spoofed or read with legacy protocols, the most common route "
                       "to fraud.",
    "Email protection": "Phishing and malicious attachments are more likely to reach inboxes.",
    "SharePoint and OneDrive": "Files can be shared further than intended, including with anyone holding a link.",
    "Secure Score": "Microsoft's own measure of the tenant's protections is below target.",
    "Licences": "Paid licences sit unused: money spent without protection gained.",
}
_GENERIC = "A security control is weaker than the recommended standard."

#: A licence gate (``scanner.Gate`` value) and the product that lifts it.
LICENCES = {
    "license:entra_p1": "Microsoft Entra ID P1 (in Microsoft 365 Business Premium, E3, E5)",
    "license:entra_p2": "Microsoft Entra ID P2 (in Microsoft 365 E5 or Entra ID Governance)",
    "license:intune": "Microsoft Intune (in Business Premium, E3, E5)",
    "license:exchange_online": "Exchange Online",
    "license:sharepoint_online": "SharePoint Online",
    "license:defender_office_365": "Microsoft Defender for Office 365 (Plan 1 in Business Premium)",
}

#: Days from the scan to fix a failing check, by severity (the issue's remediation plan).
TARGET_DAYS = {"critical": 10, "high": 28, "medium": 84, "low": 175}


def impact_of(area: str) -> str:
    return _IMPACT.get(area, _GENERIC)
