"""What to tell a person when consent did not work: one clear, actionable sentence per case.

Keyed on the AADSTS code found in ``error_description`` where there is one (msp-anchors §3.3; a hint,
as Microsoft says, but the only way to tell "declined" from "wrong account" on the callback), then
on the OAuth ``error``. Nothing from the query string is echoed back into the message.
"""

from __future__ import annotations

import re

__all__ = ["AADSTS_MESSAGES", "consent_error_message"]

#: AADSTS code -> what happened and what to do.
AADSTS_MESSAGES: dict[int, str] = {
    65001: "Consent was not granted to the app in this tenant. Send the consent link again to the tenant's "
           "Global Administrator.",
    65004: "The administrator declined the permission request. When they are ready, they can open the same "
           "kind of link again: make a new one from the customer's page.",
    50020: "The account used to open the link is not in the customer's tenant (often an MSP technician's own "
           "account). A Global Administrator or Privileged Role Administrator of the customer's tenant must open "
           "it, in a private window if needed.",
    90094: "The signed-in user cannot grant application permissions. A Global Administrator or Privileged Role "
           "Administrator of the customer's tenant must open the link.",
    90095: "The customer's tenant asks for admin-consent requests to be approved. Ask their Global Administrator "
           "to approve the request for this app, then open a new link.",
    700016: "The app was not found in the tenant. The consent may still be spreading through Microsoft's "
            "systems (try again in a few minutes), or it was granted in another tenant.",
    50194: "The service's app registration is not multi-tenant. The platform operator must set its supported "
           "account types to accounts in any organisational directory.",
    50011: "The redirect address of the consent link is not registered on the service's app. The platform "
           "operator must add this portal's /onboarding/callback address to the app registration.",
    900144: "The consent link was incomplete (no scope). Make a new link from the customer's page.",
    650052: "The tenant lacks a service the app needs permissions for (for example Exchange Online). Check the "
            "tenant's subscriptions.",
    90099: "The app has not been authorised in the tenant yet: a Global Administrator must grant consent first.",
    500011: "A Microsoft service the app needs (such as Exchange Online) is not set up in this tenant.",
    90002: "Microsoft does not know this tenant. Check the domain or tenant id on the customer.",
}
_DEFAULT = ("Microsoft did not grant consent. Make a new consent link from the customer's page and ask the "
            "tenant's Global Administrator to open it.")
_CODE = re.compile(r"AADSTS(\d{4,7})")


def consent_error_message(error: str | None, description: str | None) -> tuple[int | None, str]:
    """The AADSTS code (if any) and the message for a consent callback that carries an error."""
    match = _CODE.search(description or "")
    code = int(match.group(1)) if match else None
    if code in AADSTS_MESSAGES:
        return code, AADSTS_MESSAGES[code]  # type: ignore[index]
    if error == "access_denied" and not description:
        return None, AADSTS_MESSAGES[65004]  # a v1-style cancel carries no description
    return code, _DEFAULT
