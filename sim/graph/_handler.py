"""One Graph v1.0 request, from bearer token to JSON body: the path both top-level requests and
``$batch`` sub-requests take, so that auth, permissions, faults and throttling behave the same.

Order of checks, and why: the token first (401 without a tenant to blame), then the tenant's fault
budget and random faults (the service fails before it looks at the resource, and the log can
attribute the fault), then route (404), method (405), permission (403), licence, query options
(400), data. Paging slices the stored list and projects only the page, so serving page N of a
10,000-user tenant costs one page of work, whatever N is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sim.graph._consent_view import app_role_assignments, resource_service_principal
from sim.graph._odata import Expand, ODataError, Query, parse_query, project
from sim.graph._paging import encode_query, make_skiptoken, paging_scope, read_skiptoken
from sim.graph._reply import GRAPH_CONTENT_TYPE, Reply, graph_error, new_request_ids
from sim.graph._routes import Route, match_route
from sim.state import IssuedToken, SimState
from sim.tenant import Tenant

__all__ = ["authenticate", "fault_reply", "handle_graph_request", "record"]

#: Service plans that mean Entra ID P1 (P2 includes P1).
P1_PLANS = frozenset({"AAD_PREMIUM", "AAD_PREMIUM_P2"})
P2_PLANS = frozenset({"AAD_PREMIUM_P2"})
#: Largest page Graph serves when ``signInActivity`` is selected.
SIGN_IN_PAGE_MAX = 120

_UNAUTHORIZED_HEADERS = {
    "www-authenticate": 'Bearer realm="", '
                        'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
                        'client_id="00000003-0000-0000-c000-000000000000"',
}


def authenticate(state: SimState, headers: Mapping[str, str], audience: str) -> IssuedToken | str:
    """The valid token of a request for ``audience``, or the reason it is refused."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return "Access token is empty."
    token = state.lookup_token(value.strip())
    if token is None or state.find_tenant(token.tenant_id) is None:
        return "Access token validation failure. Invalid token."
    if token.is_expired():
        return "Lifetime validation failed, the token is expired."
    if token.audience != audience:
        return "Access token validation failure. Invalid audience."
    return token


def fault_reply(state: SimState, tenant_id: str, service: str, ids: tuple[str, str], *, in_batch: bool) -> Reply | None:
    """The reply for an injected fault on this request, if one is drawn."""
    fault = state.injector.draw(tenant_id, service, in_batch=in_batch)
    if fault is None:
        return None
    headers = {"retry-after": str(fault.retry_after_s)} if fault.retry_after_s is not None else {}
    if fault.kind == "429":
        message = "Too many requests. Retry after the interval given in the Retry-After header."
        return graph_error(429, "TooManyRequests", message, ids, headers=headers, tenant_id=tenant_id, fault="429")
    if fault.kind == "503":
        return graph_error(503, "serviceNotAvailable", "Service unavailable. Retry the request later.", ids,
                           headers=headers, tenant_id=tenant_id, fault="503")
    if fault.kind == "504":
        return graph_error(504, "GatewayTimeout", "The gateway timed out waiting for the backend.", ids,
                           tenant_id=tenant_id, fault="504")
    reply = graph_error(200, "", "", ids, tenant_id=tenant_id, fault="drop")
    reply.drop = True
    return reply


def record(state: SimState, reply: Reply, method: str, target: str, kind: str) -> None:
    """Count a served request (and its fault) in the request log."""
    state.log.count(reply.tenant_id, kind)
    if reply.fault:
        state.log.count(reply.tenant_id, f"fault_{reply.fault}")
    state.log.line(method, target, 0 if reply.drop else reply.status, reply.tenant_id, kind)


def handle_graph_request(state: SimState, method: str, path: str, query_string: str, headers: Mapping[str, str],
                         base: str, *, in_batch: bool = False) -> Reply:
    """Serve one request. ``path`` starts with the version (``/v1.0/users``); ``base`` is the Graph root URL."""
    ids = new_request_ids(headers)
    token = authenticate(state, headers, "graph")
    if isinstance(token, str):
        return graph_error(401, "InvalidAuthenticationToken", token, ids, headers=_UNAUTHORIZED_HEADERS)
    tenant = state.tenant(token.tenant_id)
    tid = token.tenant_id
    fault = fault_reply(state, tid, "graph", ids, in_batch=in_batch)
    if fault is not None:
        return fault
    version, _, rest = path.lstrip("/").partition("/")
    found = match_route("/" + rest) if version == "v1.0" else None
    if found is None:
        segment = (rest or version).split("/")[0]
        return graph_error(404, "Request_ResourceNotFound", f"Resource not found for the segment '{segment}'.", ids,
                           tenant_id=tid)
    route, params = found
    if method != "GET":
        return graph_error(405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed on this resource.",
                           ids, tenant_id=tid)
    try:
        query = parse_query(query_string)
        denied = _check_access(route, tenant, token, query, ids)
        if denied is not None:
            return denied
        _check_query(route, query)
        body = _serve(state, route, params, tenant, query, base)
    except ODataError as exc:
        return graph_error(exc.status, exc.code, str(exc), ids, tenant_id=tid)
    reply_headers = {"content-type": GRAPH_CONTENT_TYPE, "request-id": ids[0], "client-request-id": ids[1],
                     "odata-version": "4.0"}
    return Reply(200, body, reply_headers, tenant_id=tid)


def _has_plan(tenant: Tenant, plans: frozenset[str]) -> bool:
    return bool(plans & set(tenant.service_plans))


def _selects_sign_in(query: Query) -> bool:
    return any(p.lower() == "signinactivity" for p in query.select or ())


def _check_access(route: Route, tenant: Tenant, token: IssuedToken, query: Query, ids: tuple[str, str]) -> Reply | None:
    tid = token.tenant_id
    if not token.roles & set(route.permissions):
        return graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.",
                           ids, tenant_id=tid)
    if route.licence == "P1" and not _has_plan(tenant, P1_PLANS):
        return graph_error(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                           "Neither tenant is B2C or tenant doesn't have premium license", ids, tenant_id=tid)
    if route.licence == "P2" and not _has_plan(tenant, P2_PLANS):
        return graph_error(400, "AadPremiumLicenseRequired",
                           "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
                           ids, tenant_id=tid)
    if route.pattern == "/users" and _selects_sign_in(query):
        if "AuditLog.Read.All" not in token.roles:
            return graph_error(403, "Authorization_RequestDenied",
                               "Insufficient privileges to complete the operation.", ids, tenant_id=tid)
        if not _has_plan(tenant, P1_PLANS):
            return graph_error(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                               "Neither tenant is B2C or tenant doesn't have premium license", ids, tenant_id=tid)
    return None


def _check_expand(expand: Expand, nav: Mapping[str, Any], where: str) -> None:
    for name, nested in expand.items():
        if name not in nav:
            raise ODataError(f"Could not find a navigation property named '{name}' on '{where}'.")
        _check_expand(nested, nav[name] or {}, name)


def _check_query(route: Route, query: Query) -> None:
    _check_expand(query.expand, route.nav, route.pattern)
    if route.kind == "entity":
        used = {k.lower() for k, _ in query.pairs} | ({"$skiptoken"} if query.skiptoken else set())
        refused = used & {"$top", "$filter", "$skiptoken"}
        if refused:
            raise ODataError(f"Query option '{sorted(refused)[0]}' is not allowed on a single entity.",
                             "Request_UnsupportedQuery")
        return
    missing = [p for p in route.required_filter if p not in query.filter_props]
    if missing:
        raise ODataError(f"The request must filter on {' and '.join(route.required_filter)}.")
    if query.top is not None and route.top_is_page_size and query.top > route.page_max:
        raise ODataError(f"Invalid page size specified: '{query.top}'. "
                         f"Must be between 1 and {route.page_max} inclusive.", "Request_UnsupportedQuery")


def _context(base: str, route: Route, key: str, query: Query) -> str:
    name = route.context or key.lstrip("/")
    parts = list(query.select or []) + [f"{e}()" for e in query.expand]
    suffix = f"({','.join(parts)})" if parts else ""
    return f"{base}/v1.0/$metadata#{name}{suffix}" + ("/$entity" if route.kind == "entity" else "")


def _computed(state: SimState, route: Route, params: dict[str, str], tenant: Tenant) -> Any:
    """The consent view's answers (None for every other route, or an app the tenant does not have)."""
    app_id = params.get("appId", "").lower()
    if route.pattern.endswith("/appRoleAssignments") and app_id == state.app.client_id.lower():
        return app_role_assignments(tenant.id, state.app.client_id, state.app.display_name,
                                    set(tenant.granted_permissions))
    if route.pattern == "/servicePrincipals(appId='{appId}')":
        return resource_service_principal(tenant.id, app_id,
                                          set(state.app.required_permissions) | set(tenant.granted_permissions))
    return None


#: Filtered lists kept per tenant (a chain's pages filter the same list again; Graph uses its indexes).
_FILTER_MEMO_SIZE = 64


def _filtered(tenant: Tenant, key: str, query: Query, matches: Callable[[Mapping[str, Any]], bool],
              items: list[Any]) -> list[Any]:
    """``items`` that match the query's filter, remembered for the next page of the same chain.

    Remembered while the tenant holds the same list object of the same length: the simulator's data
    is replaced, not edited, between scans (profiles, tests); ten thousand users filtered again for
    each of a partition's pages made the simulator, not the scanner, the slow side of a benchmark.
    """
    memo = tenant.filter_memo
    entry = memo.get((key, query.filter_text))
    if entry is not None and entry[0] is items and entry[1] == len(items):
        return entry[2]
    matched = [item for item in items if matches(item)]
    if len(memo) >= _FILTER_MEMO_SIZE:
        memo.clear()
    memo[(key, query.filter_text)] = (items, len(items), matched)
    return matched


def _serve(state: SimState, route: Route, params: dict[str, str], tenant: Tenant, query: Query,
           base: str) -> dict[str, Any]:
    key = route.data_key(params)
    data = _computed(state, route, params, tenant)
    if data is None:
        data = tenant.graph.get(key)
    if data is None and (route.kind == "entity" or params):
        missing = next(iter(params.values()), key)
        raise ODataError(f"Resource '{missing}' does not exist or one of its queried reference-property objects "
                         "are not present.", "Request_ResourceNotFound", 404)
    context = _context(base, route, key, query)
    if route.kind == "entity":
        if not isinstance(data, Mapping):
            raise ODataError(f"Simulator tenant data for {key} is not an object.", "InternalServerError", 500)
        return {"@odata.context": context, **project(data, query.select, query.expand, route.nav)}
    items = data if data is not None else []
    if not isinstance(items, list):
        raise ODataError(f"Simulator tenant data for {key} is not a list.", "InternalServerError", 500)
    if query.filter is not None:
        items = _filtered(tenant, key, query, query.filter, items)
    size = route.page_default
    if query.top is not None:
        if route.top_is_page_size:
            size = query.top
        else:
            items = items[: query.top]
    if route.pattern == "/users" and _selects_sign_in(query):
        size = min(size, SIGN_IN_PAGE_MAX)
    scope = paging_scope(tenant.id, key, query.pairs)
    offset = 0
    if query.skiptoken is not None:
        read = read_skiptoken(state.paging_key, scope, query.skiptoken)
        if read is None:
            raise ODataError("The $skiptoken is not valid for this request: follow @odata.nextLink unchanged.",
                             "Request_BadRequest")
        offset = read
    page = items[offset: offset + size]
    default_select = route.default_select if not query.select else None
    body: dict[str, Any] = {
        "@odata.context": context,
        "value": [project(item, query.select, query.expand, route.nav, default_select) for item in page],
    }
    if offset + size < len(items):
        token = make_skiptoken(state.paging_key, scope, offset + size)
        body["@odata.nextLink"] = f"{base}/v1.0{key}?{encode_query([*query.pairs, ('$skiptoken', token)])}"
    return body
