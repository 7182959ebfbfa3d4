"""Conditional Access policies in the full v1.0 shape (``/identity/conditionalAccess/policies``).

Every policy the profile declares excludes the tenant's break-glass accounts unless it says
otherwise. Authentication strengths are Microsoft's built-in ones (ids ...02 Multifactor, ...04
Phishing-resistant). ``transferMethods`` is a comma-separated string, as Graph sends it when asked
with ``Prefer: include-unknown-enum-members``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.profiles._context import Context
from sim.profiles._spec import CaPolicy

__all__ = ["build_ca_policies"]

_STRENGTHS: dict[str, dict[str, Any]] = {
    "mfa": {
        "id": "00000000-0000-0000-0000-000000000002",
        "displayName": "Multifactor authentication",
        "description": "Combinations of methods that satisfy strong authentication, such as a password + SMS",
        "allowedCombinations": [
            "windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush",
            "temporaryAccessPassOneTime", "temporaryAccessPassMultiUse", "password,microsoftAuthenticatorPush",
            "password,softwareOath", "password,hardwareOath", "password,sms", "password,voice",
        ],
    },
    "phishing_resistant": {
        "id": "00000000-0000-0000-0000-000000000004",
        "displayName": "Phishing-resistant MFA",
        "description": "Phishing-resistant, Passwordless methods for the strongest authentication, such as a FIDO2 "
                       "security key",
        "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
    },
}


def build_ca_policies(ctx: Context, policies: Sequence[CaPolicy], break_glass_ids: list[str]) -> list[dict[str, Any]]:
    """The tenant's CA policies, in the order the profile lists them."""
    return [_policy(ctx, index, p, break_glass_ids) for index, p in enumerate(policies)]


def _policy(ctx: Context, index: int, p: CaPolicy, break_glass_ids: list[str]) -> dict[str, Any]:
    created = ctx.ago(400 - index * 20)
    return {
        "id": ctx.uid("ca", p.name),
        "templateId": None,
        "displayName": p.name,
        "createdDateTime": created,
        "modifiedDateTime": ctx.ago(100 - index * 3),
        "state": p.state,
        "sessionControls": _session(p),
        "conditions": {
            "userRiskLevels": list(p.user_risk),
            "signInRiskLevels": list(p.sign_in_risk),
            "clientAppTypes": list(p.client_app_types),
            "servicePrincipalRiskLevels": [],
            "insiderRiskLevels": None,
            "platforms": None,
            "locations": ({"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}
                          if p.outside_trusted_locations else None),
            "devices": None,
            "clientApplications": None,
            "authenticationFlows": {"transferMethods": p.transfer_methods} if p.transfer_methods else None,
            "applications": {
                "includeApplications": list(p.include_apps),
                "excludeApplications": [],
                "includeUserActions": list(p.user_actions),
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            },
            "users": {
                "includeUsers": list(p.include_users),
                "excludeUsers": list(break_glass_ids) if p.exclude_break_glass else [],
                "includeGroups": [],
                "excludeGroups": [],
                "includeRoles": list(p.include_roles),
                "excludeRoles": [],
                "includeGuestsOrExternalUsers": None,
                "excludeGuestsOrExternalUsers": None,
            },
        },
        "grantControls": {
            "operator": p.operator,
            "builtInControls": list(p.grant),
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength": _strength(p.strength) if p.strength else None,
        },
    }


def _strength(name: str) -> dict[str, Any]:
    return {
        **_STRENGTHS[name],
        "allowedCombinations": list(_STRENGTHS[name]["allowedCombinations"]),
        "createdDateTime": "2021-12-01T08:00:00Z",
        "modifiedDateTime": "2021-12-01T08:00:00Z",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "combinationConfigurations": [],
    }


def _session(p: CaPolicy) -> dict[str, Any] | None:
    if not p.admin_session:
        return None
    return {
        "disableResilienceDefaults": None,
        "applicationEnforcedRestrictions": None,
        "cloudAppSecurity": None,
        "continuousAccessEvaluation": None,
        "secureSignInSession": None,
        # CIS 5.2.2.4: admins re-authenticate every 4 hours, browsers never keep the session.
        "signInFrequency": {"value": 4, "type": "hours", "authenticationType": "primaryAndSecondaryAuthentication",
                            "frequencyInterval": "timeBased", "isEnabled": True},
        "persistentBrowser": {"mode": "never", "isEnabled": True},
    }
