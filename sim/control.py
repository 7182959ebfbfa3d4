"""The simulator's control API (JSON, under ``/_sim``): what the demo, benchmarks and out-of-process
tests use to look at tenants and change the world while the server runs.

Routes: ``GET /_sim/tenants``, ``GET /_sim/tenants/{id}`` (with expected verdicts), ``POST
/_sim/tenants/{id}/revoke | /disable | /consent | /permissions | /exchange-role``, ``GET|PUT
/_sim/faults``, ``GET /_sim/requests``, ``POST /_sim/requests/reset``. ``{id}`` is a tenant GUID or
default domain.

Decisions, and why: every route refuses clients that are not on loopback (a guard), because the
API changes consent and faults without any credential; the server binds loopback by default
anyway, so the guard only matters when someone binds a wider address. Each route is one call on
``SimState``, which holds the rules.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath

from sim.faults import FaultConfig
from sim.state import SimState
from sim.tenant import Tenant

__all__ = ["ControlController"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def require_loopback(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: only loopback clients may use the control API."""
    client = connection.scope.get("client")
    if not client or (client[0] not in _LOOPBACK and not str(client[0]).startswith("127.")):
        raise NotAuthorizedException("The simulator control API answers loopback clients only.")


def _state(request: Request[Any, Any, Any]) -> SimState:
    return request.app.state["sim"]


def _tenant(state: SimState, tenant_id: FromPath[str]) -> Tenant:
    found = state.find_tenant(tenant_id)
    if found is None:
        raise NotFoundException(f"No simulated tenant '{tenant_id}'.")
    return found


def _body(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationException("The body must be a JSON object.")
    return data


class ControlController(Controller):
    path = "/_sim"
    guards = [require_loopback]

    @get("/tenants", sync_to_thread=False)
    def list_tenants(self, request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
        state = _state(request)
        return [state.describe_tenant(t) for t in state.tenants.values()]

    @get("/tenants/{tenant_id:str}", sync_to_thread=False)
    def get_tenant(self, request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> dict[str, Any]:
        state = _state(request)
        return state.describe_tenant(_tenant(state, tenant_id), full=True)

    @post("/tenants/{tenant_id:str}/revoke", status_code=200, sync_to_thread=False)
    def revoke(self, request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> dict[str, Any]:
        state = _state(request)
        return state.describe_tenant(state.revoke_consent(_tenant(state, tenant_id).id))

    @post("/tenants/{tenant_id:str}/disable", status_code=200, sync_to_thread=False)
    def disable(self, request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> dict[str, Any]:
        state = _state(request)
        return state.describe_tenant(state.disable_app(_tenant(state, tenant_id).id))

    @post("/tenants/{tenant_id:str}/consent", status_code=200)
    async def consent(self, request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> dict[str, Any]:
        """Grant consent; body ``{"permissions": [...]}`` optional (default: the app's required set)."""
        state = _state(request)
        body = _body(await request.json() if await request.body() else None)
        permissions = body.get("permissions")
        is_list = isinstance(permissions, list) and all(isinstance(p, str) for p in permissions)
        if permissions is not None and not is_list:
            raise ValidationException("'permissions' must be a list of strings.")
        return state.describe_tenant(state.grant_consent(_tenant(state, tenant_id).id, permissions))

    @post("/tenants/{tenant_id:str}/permissions", status_code=200)
    async def permissions(self, request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> dict[str, Any]:
        """Body ``{"permission": "Policy.Read.All", "action": "remove" | "restore"}``."""
        state = _state(request)
        body = _body(await request.json())
        permission, action = body.get("permission"), body.get("action", "remove")
        if not isinstance(permission, str) or action not in ("remove", "restore"):
            raise ValidationException("Send {'permission': <name>, 'action': 'remove' | 'restore'}.")
        tenant = _tenant(state, tenant_id)
        changed = (state.remove_permission if action == "remove" else state.restore_permission)(tenant.id, permission)
        return state.describe_tenant(changed)

    @post("/tenants/{tenant_id:str}/exchange-role", status_code=200)
    async def exchange_role(self, request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> dict[str, Any]:
        """Body ``{"assigned": true | false}``."""
        state = _state(request)
        assigned = _body(await request.json()).get("assigned")
        if not isinstance(assigned, bool):
            raise ValidationException("Send {'assigned': true | false}.")
        return state.describe_tenant(state.set_exchange_role(_tenant(state, tenant_id).id, assigned))

    @get("/faults", sync_to_thread=False)
    def get_faults(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return _state(request).faults.to_json()

    @put("/faults")
    async def put_faults(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Change fault settings; fields not sent keep their value."""
        state = _state(request)
        try:
            config = FaultConfig.from_json(_body(await request.json()), state.faults)
        except (TypeError, ValueError) as exc:
            raise ValidationException(str(exc)) from exc
        state.set_faults(config)
        return config.to_json()

    @get("/requests", sync_to_thread=False)
    def requests(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        log = _state(request).log
        return {"counts": log.counts(), "lines": log.lines()}

    @post("/requests/reset", status_code=200, sync_to_thread=False)
    def reset_requests(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        _state(request).log.reset()
        return {"reset": True}
