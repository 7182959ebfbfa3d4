"""Users: the profile's placed people plus seeded filler, as Graph user objects and registration rows.

Placed people (``Spec.people``) decide verdicts: their ids derive from the tenant id and their key,
their dates from the tenant's clock. Filler users only make up the count: their names and ids come
from the seeded generator, and every one of them is active (signed in within the last 5 days),
registered as the profile's filler policy says, and never an admin, so none can flip a verdict.

``users`` counts every user object (placed, filler, guests and shared mailboxes).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sim.profiles._context import Context
from sim.profiles._spec import Filler, Person, Spec

__all__ = ["BuiltUser", "build_users", "registration_details"]

_GIVEN = (
    "Adele", "Alex", "Allan", "Amara", "Ben", "Chen", "Chloe", "Christie", "Daniel", "Diego", "Elena", "Emily",
    "Farah", "Grady", "Hana", "Henrietta", "Isaiah", "Ivan", "Jana", "Johanna", "Joni", "Kenji", "Lee", "Lidia",
    "Lynne", "Mateo", "Megan", "Miriam", "Nestor", "Nia", "Omar", "Patti", "Pradeep", "Priya", "Raul", "Sakura",
    "Samir", "Sofia", "Tariq", "Thandiwe", "Tomas", "Uma", "Vera", "Wei", "Yusuf", "Zara",
)
_SURNAMES = (
    "Adams", "Bauer", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Gupta", "Haddad", "Ito", "Jensen",
    "Kowalski", "Larsen", "Mbeki", "Moreau", "Nakamura", "Novak", "Okafor", "Olsen", "Patel", "Quinn", "Rossi",
    "Santos", "Schmidt", "Silva", "Tanaka", "Ueda", "Varga", "Wagner", "Wilber", "Xu", "Yilmaz", "Zhang",
)
_DEPARTMENTS = ("Sales", "Finance", "Operations", "Marketing", "Engineering", "Support", "Legal", "HR")
_TITLES = ("Analyst", "Coordinator", "Specialist", "Manager", "Consultant", "Associate", "Engineer")

_MFA = frozenset({
    "microsoftAuthenticatorPush", "softwareOneTimePasscode", "hardwareOneTimePasscode", "mobilePhone",
    "alternateMobilePhone", "officePhone", "fido2", "windowsHelloForBusiness", "passKeyDeviceBound",
    "passKeyDeviceBoundAuthenticator", "passKeyDeviceBoundWindowsHello", "microsoftAuthenticatorPasswordless",
})
_PASSWORDLESS = frozenset({
    "fido2", "windowsHelloForBusiness", "passKeyDeviceBound", "passKeyDeviceBoundAuthenticator",
    "passKeyDeviceBoundWindowsHello", "microsoftAuthenticatorPasswordless",
})


@dataclass
class BuiltUser:
    """One user object with what the other builders need to know about it."""

    key: str
    graph: dict[str, Any]
    kind: str
    methods: tuple[str, ...]
    sku: str | None
    person: Person | None = None

    @property
    def id(self) -> str:
        return str(self.graph["id"])


def build_users(ctx: Context, spec: Spec, count: int, sku_ids: dict[str, str]) -> list[BuiltUser]:
    """The placed people first, then filler up to ``count`` user objects in all."""
    taken: set[str] = {p.key for p in spec.people}
    users = [_placed(ctx, p, sku_ids) for p in spec.people]
    for index in range(count - len(spec.people)):
        users.append(_filler(ctx, spec.filler, index, taken, sku_ids))
    return users


def _placed(ctx: Context, p: Person, sku_ids: dict[str, str]) -> BuiltUser:
    uid = ctx.uid("user", p.key)
    name = p.display_name or f"{p.given} {p.surname}"
    sign_in = _sign_in(ctx, p.last_sign_in_days if p.kind != "shared" else None, ctx.uid("signin", p.key))
    graph = _user(ctx, uid, p.key, p.given, p.surname, name, p.job_title, p.kind, p.enabled, p.created_days,
                  sign_in, p.synced, p.guest_domain)
    if p.sku is not None:
        graph["assignedLicenses"] = [{"disabledPlans": [], "skuId": sku_ids[p.sku]}]
    if p.kind == "member" and p.sku is None:
        graph["mail"] = None
        graph["proxyAddresses"] = []
    return BuiltUser(p.key, graph, p.kind, p.methods if p.kind != "shared" else (), p.sku, p)


def _filler(ctx: Context, filler: Filler, index: int, taken: set[str], sku_ids: dict[str, str]) -> BuiltUser:
    rng = ctx.rng
    given, surname = rng.choice(_GIVEN), rng.choice(_SURNAMES)
    local = f"{given}.{surname}".lower()
    if local in taken:
        local = f"{local}{index}"
    taken.add(local)
    guest = filler.guest_every > 0 and index % filler.guest_every == filler.guest_every - 1
    kind = "guest" if guest else "member"
    uid = ctx.random_id()
    sign_in = _sign_in(ctx, rng.uniform(0.05, 4.5), ctx.random_id())
    title = f"{rng.choice(_DEPARTMENTS)} {rng.choice(_TITLES)}"
    graph = _user(ctx, uid, local, given, surname, f"{given} {surname}", title, kind, True,
                  rng.randint(30, 1500), sign_in, filler.synced and not guest, rng.choice(_PARTNERS))
    sku = None
    if not guest:
        # The first SKU for most members; any other SKU for every fourth member, in turn.
        others = filler.skus[1:]
        sku = others[(index // 4) % len(others)] if others and index % 4 == 0 else filler.skus[0]
        graph["assignedLicenses"] = [{"disabledPlans": [], "skuId": sku_ids[sku]}]
    methods = filler.method_sets[index % len(filler.method_sets)] if not guest else ()
    return BuiltUser(local, graph, kind, methods, sku)


_PARTNERS = ("fabrikam.com", "northwindtraders.com", "adventure-works.com", "tailspintoys.com", "gmail.com")


def _sign_in(ctx: Context, days: float | None, request_id: str) -> dict[str, Any]:
    if days is None:
        return {"lastSignInDateTime": None, "lastSignInRequestId": None, "lastNonInteractiveSignInDateTime": None,
                "lastNonInteractiveSignInRequestId": None, "lastSuccessfulSignInDateTime": None,
                "lastSuccessfulSignInRequestId": None}
    when, background = ctx.ago(days), ctx.ago(max(days - 0.01, 0.0))
    return {"lastSignInDateTime": when, "lastSignInRequestId": request_id,
            "lastNonInteractiveSignInDateTime": background, "lastNonInteractiveSignInRequestId": request_id,
            "lastSuccessfulSignInDateTime": when, "lastSuccessfulSignInRequestId": request_id}


def _user(ctx: Context, uid: str, local: str, given: str, surname: str, name: str, title: str, kind: str,
          enabled: bool, created_days: int, sign_in: dict[str, Any], synced: bool, guest_domain: str) -> dict[str, Any]:
    guest = kind == "guest"
    if guest:
        external = f"{given}.{surname}".lower()
        mail = f"{external}@{guest_domain}"
        upn = f"{external}_{guest_domain}#EXT#@{ctx.initial_domain}"
    else:
        mail = upn = f"{local}@{ctx.initial_domain}"
    created = ctx.ago(created_days)
    return {
        "id": uid,
        "businessPhones": [],
        "displayName": name,
        "givenName": given,
        "surname": surname,
        "jobTitle": None if kind == "shared" else title,
        "mail": mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "userPrincipalName": upn,
        "accountEnabled": enabled,
        "userType": "Guest" if guest else "Member",
        "createdDateTime": created,
        "creationType": "Invitation" if guest else None,
        "externalUserState": "Accepted" if guest else None,
        "externalUserStateChangeDateTime": created if guest else None,
        "companyName": None,
        "department": None,
        "usageLocation": None if guest else "US",
        "mailNickname": upn.split("@")[0],
        "imAddresses": [] if guest or kind == "shared" else [mail],
        "proxyAddresses": [f"SMTP:{mail}"],
        "passwordPolicies": None,
        "assignedLicenses": [],
        "deletedDateTime": None,
        "signInActivity": sign_in,
        **_on_premises(ctx, uid, local, name, synced),
    }


def _on_premises(ctx: Context, uid: str, local: str, name: str, synced: bool) -> dict[str, Any]:
    if not synced:
        return {"onPremisesSyncEnabled": None, "onPremisesImmutableId": None, "onPremisesLastSyncDateTime": None,
                "onPremisesSamAccountName": None, "onPremisesDomainName": None,
                "onPremisesDistinguishedName": None}
    domain = f"corp.{ctx.custom_domain}"
    dn = f"CN={name},OU=Staff,DC=" + ",DC=".join(domain.split("."))
    return {"onPremisesSyncEnabled": True,
            "onPremisesImmutableId": base64.b64encode(uuid.UUID(uid).bytes_le).decode(),
            "onPremisesLastSyncDateTime": ctx.ago(0.02), "onPremisesSamAccountName": local.replace(".", "")[:20],
            "onPremisesDomainName": domain, "onPremisesDistinguishedName": dn}


def registration_details(ctx: Context, users: Iterable[BuiltUser], admin_ids: set[str]) -> list[dict[str, Any]]:
    """``/reports/authenticationMethods/userRegistrationDetails``: one row per user."""
    updated = ctx.ago(0.5)
    rows = []
    for u in users:
        methods = list(u.methods)
        mfa = any(m in _MFA for m in methods)
        rows.append({
            "id": u.id,
            "userPrincipalName": u.graph["userPrincipalName"],
            "userDisplayName": u.graph["displayName"],
            "isAdmin": u.id in admin_ids,
            "isSsprRegistered": bool(methods),
            "isSsprEnabled": u.kind == "member",
            "isSsprCapable": bool(methods) and u.kind == "member",
            "isMfaRegistered": mfa,
            "isMfaCapable": mfa,
            "isPasswordlessCapable": any(m in _PASSWORDLESS for m in methods),
            "lastUpdatedDateTime": updated,
            "methodsRegistered": methods,
            "isSystemPreferredAuthenticationMethodEnabled": True,
            "systemPreferredAuthenticationMethods": _preferred(methods),
            "userPreferredMethodForSecondaryAuthentication": (_preferred(methods) or ["none"])[0],
            "userType": "guest" if u.kind == "guest" else "member",
        })
    return rows


def _preferred(methods: list[str]) -> list[str]:
    if any(m == "fido2" or m.startswith("passKey") for m in methods):
        return ["fido2"]
    if any(m in _PASSWORDLESS or m == "microsoftAuthenticatorPush" for m in methods):
        return ["push"]
    if "softwareOneTimePasscode" in methods:
        return ["oath"]
    if "mobilePhone" in methods:
        return ["sms"]
    return []
