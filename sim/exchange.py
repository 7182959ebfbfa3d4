"""Simulated Exchange Online admin API: ``POST /adminapi/beta/{tenantId}/InvokeCommand``.

This is the REST endpoint behind the ExchangeOnlineManagement module's ``Get-*`` cmdlets. The body is
``{"CmdletInput": {"CmdletName": "Get-TransportConfig", "Parameters": {...}}}``; the answer is an
OData collection of PowerShell-shaped hashtables, 1,000 objects a page, with ``@odata.nextLink`` to
which the client POSTs the same body again.

Decisions, and why:
- Auth mirrors Exchange: the token must be for the Exchange resource and carry
  ``Exchange.ManageAsApp`` (else 401 with a ``WWW-Authenticate`` challenge); the app must also hold
  a supported directory role in the tenant (else 403 with the message Exchange gives). The token's
  tenant must be the tenant named in the URL (GUID or domain).
- The cmdlets served are the read cmdlets a posture scan uses (``KNOWN_CMDLETS``) plus any the tenant
  stores; a known cmdlet the tenant has no data for returns an empty collection, an unknown one 400.
  Defender for Office 365's cmdlets are unknown in a tenant without its service plans.
- ``ResultSize`` (``Unlimited`` or a number) limits the whole result; other parameters are accepted
  and ignored (no per-identity lookups in the simulator).
- Faults and the throttling budget are the same machinery as Graph, with their own budget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from sim.graph import Reply, graph_error, new_request_ids, record
from sim.graph._handler import authenticate, fault_reply
from sim.graph._paging import make_skiptoken, paging_scope, read_skiptoken
from sim.state import SimState
from sim.tenant import DEFENDER_PLANS

__all__ = ["EXCHANGE_PAGE_SIZE", "KNOWN_CMDLETS", "handle_exchange"]

#: Objects per page of an InvokeCommand answer.
EXCHANGE_PAGE_SIZE = 1000

#: Read cmdlets the simulator answers even for a tenant that stores no data for them.
KNOWN_CMDLETS = frozenset({
    "Get-TransportConfig", "Get-OrganizationConfig", "Get-AdminAuditLogConfig", "Get-HostedOutboundSpamFilterPolicy",
    "Get-RemoteDomain", "Get-DkimSigningConfig", "Get-CASMailbox", "Get-Mailbox", "Get-AcceptedDomain",
    "Get-SharingPolicy", "Get-MalwareFilterPolicy", "Get-HostedContentFilterPolicy", "Get-AntiPhishPolicy",
    "Get-SafeLinksPolicy", "Get-SafeAttachmentPolicy", "Get-AtpPolicyForO365", "Get-TransportRule",
    "Get-InboundConnector", "Get-OutboundConnector", "Get-OwaMailboxPolicy", "Get-ExternalInOutlook",
    "Get-HostedConnectionFilterPolicy", "Get-MailboxAuditBypassAssociation", "Get-RoleAssignmentPolicy",
    "Get-EOPProtectionPolicyRule", "Get-ATPProtectionPolicyRule",
})

#: Cmdlets that exist only in tenants with Defender for Office 365 (these service plans): elsewhere they
#: are "not recognized", as Exchange Online answers (ScubaGear reads the licence from that answer).
_DEFENDER_CMDLETS = frozenset({"get-atpprotectionpolicyrule", "get-safeattachmentpolicy", "get-safeattachmentrule",
                               "get-safelinkspolicy", "get-safelinksrule", "get-atppolicyforo365",
                               "get-atpbuiltinprotectionrule"})


_PATH = re.compile(r"^/adminapi/beta/(?P<tenant>[^/]+)/InvokeCommand/?$", re.IGNORECASE)
_CHALLENGE = ('Bearer client_id="00000002-0000-0ff1-ce00-000000000000", '
              'trusted_issuers="00000001-0000-0000-c000-000000000000@*", '
              'token_types="app_asserted_user_v1 service_asserted_app_v1", '
              'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token"')


def handle_exchange(state: SimState, method: str, path: str, query_string: str, headers: Mapping[str, str],
                    body: bytes, base: str) -> Reply:
    """Serve and log one request below the Exchange root (``base`` is that root's URL)."""
    reply = _handle(state, method, path, query_string, headers, body, base)
    record(state, reply, method, path + (f"?{query_string}" if query_string else ""), "exchange")
    return reply


def _handle(state: SimState, method: str, path: str, query_string: str, headers: Mapping[str, str], body: bytes,
            base: str) -> Reply:
    ids = new_request_ids(headers)
    m = _PATH.match(path)
    if m is None:
        return graph_error(404, "NotFound", f"No resource at '{path}'.", ids)
    token = authenticate(state, headers, "exchange")
    path_tenant = state.find_tenant(m.group("tenant"))
    if isinstance(token, str) or "Exchange.ManageAsApp" not in token.roles:
        reason = token if isinstance(token, str) else "The token lacks the Exchange.ManageAsApp role."
        return graph_error(401, "InvalidToken", reason, ids, headers={"www-authenticate": _CHALLENGE})
    if path_tenant is None or path_tenant.id.lower() != token.tenant_id:
        return graph_error(401, "InvalidToken", "The token was issued for another tenant than the one in the URL.",
                           ids, headers={"www-authenticate": _CHALLENGE}, tenant_id=token.tenant_id)
    tid = token.tenant_id
    fault = fault_reply(state, tid, "exchange", ids, in_batch=False)
    if fault is not None:
        return fault
    if method != "POST":
        return graph_error(405, "MethodNotAllowed", "InvokeCommand accepts POST only.", ids, tenant_id=tid)
    if not path_tenant.exchange_role_assigned:
        message = (f"The role assigned to application {token.client_id} isn't supported in this scenario. Please "
                   "check online documentation for assigning correct Directory Roles to Azure AD Application for "
                   "EXO App-Only Authentication.")
        return graph_error(403, "Forbidden", message, ids, tenant_id=tid)
    cmdlet, parameters = _parse_body(body)
    if cmdlet is None:
        return graph_error(400, "BadRequest", "The body must be {\"CmdletInput\": {\"CmdletName\": ..., "
                           "\"Parameters\": {...}}}.", ids, tenant_id=tid)
    known = {c.lower(): c for c in (*KNOWN_CMDLETS, *path_tenant.exchange)}
    if cmdlet.lower() in _DEFENDER_CMDLETS and not path_tenant.service_plans & DEFENDER_PLANS:
        known.pop(cmdlet.lower(), None)
    if cmdlet.lower() not in known:
        return graph_error(400, "BadRequest", f"The term '{cmdlet}' is not recognized as a name of a cmdlet, "
                           "function, script file, or executable program.", ids, tenant_id=tid)
    name = known[cmdlet.lower()]
    items = path_tenant.exchange.get(name, [])
    limit = _result_size(parameters)
    if limit is None:
        return graph_error(400, "BadRequest", "ResultSize must be 'Unlimited' or a positive number.", ids,
                           tenant_id=tid)
    items = items[:limit]
    scope = paging_scope(tid, "exo:" + name.lower(), [("p", json.dumps(parameters, sort_keys=True, default=str))])
    offset = 0
    skiptoken = dict(parse_qsl(query_string)).get("$skiptoken")
    if skiptoken is not None:
        read = read_skiptoken(state.paging_key, scope, skiptoken)
        if read is None:
            return graph_error(400, "BadRequest", "The $skiptoken does not belong to this command.", ids,
                               tenant_id=tid)
        offset = read
    root = f"{base}/adminapi/beta/{m.group('tenant')}"
    out: dict[str, Any] = {
        "@odata.context": f"{root}/$metadata#Collection(Exchange.GenericHashTable)",
        "adminapi.warnings@odata.type": "#Collection(String)",
        "@adminapi.warnings": [],
        "value": items[offset: offset + EXCHANGE_PAGE_SIZE],
    }
    if offset + EXCHANGE_PAGE_SIZE < len(items):
        token_value = make_skiptoken(state.paging_key, scope, offset + EXCHANGE_PAGE_SIZE)
        out["@odata.nextLink"] = f"{root}/InvokeCommand?$skiptoken={token_value}"
    reply_headers = {"content-type": "application/json;odata.metadata=minimal;charset=utf-8",
                     "request-id": ids[0], "client-request-id": ids[1]}
    return Reply(200, out, reply_headers, tenant_id=tid)


def _parse_body(body: bytes) -> tuple[str | None, dict[str, Any]]:
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None, {}
    cmdlet_input = payload.get("CmdletInput") if isinstance(payload, dict) else None
    if not isinstance(cmdlet_input, dict) or not isinstance(cmdlet_input.get("CmdletName"), str):
        return None, {}
    parameters = cmdlet_input.get("Parameters") or {}
    return cmdlet_input["CmdletName"], parameters if isinstance(parameters, dict) else {}


def _result_size(parameters: Mapping[str, Any]) -> int | None:
    value = next((v for k, v in parameters.items() if k.lower() == "resultsize"), "Unlimited")
    if isinstance(value, str) and value.lower() == "unlimited":
        return 2**31
    try:
        size = int(value)
    except (TypeError, ValueError):
        return None
    return size if size > 0 else None
