"""Confirm a consent with Microsoft, never with the callback's word (msp-anchors §3.2).

1. A token for the tenant the callback names: without consent there is none (AADSTS700016, which
   right after a fresh consent often means "not spread yet").
2. ``GET /organization``: the tenant the token opens must be the tenant the callback names, and the
   one the MSP expected when it gave a domain or id.
3. ``GET /servicePrincipals(appId='{our app}')/appRoleAssignments`` against the ``appRoles`` of the
   Graph and Exchange service principals: which of the required permissions were granted. App role
   ids are looked up, never hard-coded.
4. One Exchange Online read: the Exchange admin API also needs a directory role (Global Reader); only
   trying tells whether the app has it.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import Any

import certifi
import httpx

from portal.services.customers import missing_permissions
from portal.services.environment import ScannerEnvironment
from portal.services.errors import PortalError
from scanner import ConsentMissing, TenantNotFound, TransientAuthError, catalogue, scan_tenant

__all__ = ["EXCHANGE_APP_ID", "GRAPH_APP_ID", "ConsentNotVerified", "Verification", "verify_consent"]

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
#: The one Exchange check read to learn whether the app holds the Exchange directory role.
_EXCHANGE_PROBE_AREA = "Exchange Online"


class ConsentNotVerified(PortalError):
    """The consent could not be confirmed. ``spreading``: Microsoft may not have applied it yet (try again
    in a minute); otherwise it failed for good and ``message`` says why."""

    def __init__(self, message: str, *, spreading: bool = False) -> None:
        super().__init__(message)
        self.spreading = spreading


@dataclass(frozen=True)
class Verification:
    tenant_id: str  # lower case, as /organization says it
    display_name: str
    domains: tuple[str, ...]
    missing: tuple[str, ...]  # required permissions not granted, and the Exchange role when it is missing


def _trust(ca_bundle: str | None) -> ssl.SSLContext:
    """certifi's roots plus the extra CA, as the scanner trusts them (no proxy or CA from the environment)."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        context.load_verify_locations(ca_bundle)
    return context


async def _get(http: httpx.AsyncClient, url: str, token: str, params: dict[str, str] | None = None) -> Any:
    response = await http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 403:
        raise PermissionError(url)
    if response.status_code in (401, 404):
        raise LookupError(f"{response.status_code} from {url}")
    response.raise_for_status()
    return response.json()


async def _all(http: httpx.AsyncClient, url: str, token: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    for _ in range(50):  # a bounded walk: an app has a few dozen role assignments at most
        if next_url is None:
            break
        body = await _get(http, next_url, token)
        items.extend(body.get("value", []))
        next_url = body.get("@odata.nextLink")
    return items


async def _granted(http: httpx.AsyncClient, graph: str, token: str, client_id: str) -> set[str]:
    assignments = await _all(http, f"{graph}/servicePrincipals(appId='{client_id}')/appRoleAssignments", token)
    names: dict[tuple[str, str], str] = {}
    for app_id in (GRAPH_APP_ID, EXCHANGE_APP_ID):
        try:
            resource = await _get(http, f"{graph}/servicePrincipals(appId='{app_id}')", token,
                                  {"$select": "id,appRoles"})
        except LookupError:
            continue  # the tenant has no such service (no Exchange Online, for one)
        for role in resource.get("appRoles", []):
            names[(str(resource.get("id", "")).lower(), str(role.get("id", "")).lower())] = str(role.get("value", ""))
    return {names[key] for a in assignments
            if (key := (str(a.get("resourceId", "")).lower(), str(a.get("appRoleId", "")).lower())) in names}


async def _exchange_role_missing(tenant_id: str, env: ScannerEnvironment) -> bool:
    probe = [c for c in catalogue() if c.meta.area == _EXCHANGE_PROBE_AREA][:1]
    result = await scan_tenant(tenant_id, tokens=env.tokens, graph_url=env.graph_url, exchange_url=env.exchange_url,
                               checks=probe, ca_bundle=env.ca_bundle, options=env.options)
    return any(m.startswith("directory_role:") for m in missing_permissions(result))


async def verify_consent(tenant: str, *, env: ScannerEnvironment, client_id: str, required: list[str],
                         expected: str | None = None) -> Verification:
    """What Microsoft says of the consent in ``tenant`` (the callback's claim, checked here).

    Raises:
        ConsentNotVerified: no token, another tenant than claimed or expected, or Microsoft unreachable.
    """
    try:
        token = await env.tokens.token(tenant, env.graph_url, force_refresh=True)
    except ConsentMissing:
        raise ConsentNotVerified("Microsoft has not applied the consent yet (AADSTS700016): it can take a few "
                                 "minutes after the administrator accepts.", spreading=True) from None
    except TenantNotFound:
        raise ConsentNotVerified("Microsoft does not know the tenant the consent named.") from None
    except TransientAuthError:
        raise ConsentNotVerified("Microsoft's sign-in service did not answer: try again in a minute.",
                                 spreading=True) from None
    graph = f"{env.graph_url}/v1.0"
    async with httpx.AsyncClient(verify=_trust(env.ca_bundle), timeout=20.0, trust_env=False) as http:
        try:
            organization = (await _get(http, f"{graph}/organization", token,
                                       {"$select": "id,displayName,verifiedDomains"})).get("value", [{}])[0]
        except PermissionError:
            raise ConsentNotVerified("The consent does not include Organization.Read.All, so the tenant cannot be "
                                     "confirmed: the app registration's permissions must be granted in full.") from None
        tenant_id = str(organization.get("id", "")).lower()
        if tenant_id != tenant.lower():
            raise ConsentNotVerified("The tenant that granted consent is not the one the callback named.")
        domains = tuple(str(d.get("name", "")).lower() for d in organization.get("verifiedDomains", []))
        if expected and expected.lower() not in (tenant_id, *domains):
            raise ConsentNotVerified(f"Consent was granted in another tenant ({organization.get('displayName')}) "
                                     "than the one this customer expects: ask the customer's own administrator to "
                                     "open the link.")
        try:
            granted = await _granted(http, graph, token, client_id)
        except PermissionError:
            granted = set()  # no Application.Read.All: nothing can be confirmed, so everything is missing
    missing = sorted(set(required) - granted)
    if "Exchange.ManageAsApp" in granted and await _exchange_role_missing(tenant_id, env):
        missing.append("directory_role:Global Reader")
    return Verification(tenant_id, str(organization.get("displayName", "")), domains, tuple(missing))


async def verify_with_retries(tenant: str, *, env: ScannerEnvironment, client_id: str, required: list[str],
                              expected: str | None, delays_s: tuple[float, ...]) -> Verification:
    """:func:`verify_consent`, tried again after each delay while the consent is still spreading."""
    for delay in delays_s:
        try:
            return await verify_consent(tenant, env=env, client_id=client_id, required=required, expected=expected)
        except ConsentNotVerified as exc:
            if not exc.spreading:
                raise
        await asyncio.sleep(delay)
    return await verify_consent(tenant, env=env, client_id=client_id, required=required, expected=expected)
