"""Read only while the platform operator holds the service (migration 0025).

Before any request that could change something (not GET, HEAD or OPTIONS), the caller's MSP is asked
whether the operator suspended it; the customer the request names (its routed ``customer_id``, however
the id was written in the URL) and a customer role's own customer are asked whether the operator holds
them. Any of these refuses with 403 and the reason. Signing in and out, switching organisation, one's
own account and password, the unsubscribe link and the operator's own pages stay open. The database
refuses every scan of a held service, and every change of billing terms, anyway; this is what makes the
rest read only for people.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable

from litestar import Request
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import text

from portal.db.uow import unit_of_work
from portal.services.accounts import scope_for
from portal.services.service_status import SUSPENDED_MESSAGE, msp_suspension
from portal.web.callers import Caller, resolve_caller
from portal.web.runtime import WebRuntime

__all__ = ["OPEN_WHILE_HELD", "held_reason", "refuse_writes_while_held"]

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
#: Writes a held service keeps: the session, one's own account, the mail link, the operator's pages; and the
#: assistant's endpoint, where reads are POSTs too: its write tools ask :func:`held_reason` themselves.
OPEN_WHILE_HELD = ("/sign-in", "/sign-out", "/password-reset", "/invitations/", "/organisation", "/account/",
                   "/unsubscribe/", "/operator", "/api/v1/operator", "/mcp")
_HELD_CUSTOMER = "this customer's service is suspended by the platform operator: it is read only"


def held_reason(web: WebRuntime, caller: Caller, customer_ids: Iterable[uuid.UUID] = ()) -> str | None:
    """Why the caller may change nothing now (its MSP, its own customer, or one of ``customer_ids`` is
    held by the operator), or None."""
    scope = scope_for(web.engine, caller.membership, email=caller.email, user_id=caller.user_id)
    named = {*customer_ids, *([caller.membership.customer_id] if caller.membership.customer_id else [])}
    with unit_of_work(web.engine, scope) as uow:
        if msp_suspension(uow) is not None:
            return SUSPENDED_MESSAGE
        if named and uow.session.scalar(text(
                "SELECT EXISTS (SELECT FROM customers WHERE id = ANY (:c) AND operator_suspended_at IS NOT NULL)"),
                {"c": sorted(named)}):
            return _HELD_CUSTOMER
    return None


def refuse_writes_while_held(web: WebRuntime) -> Callable[[Request], Awaitable[None]]:
    """The app's ``before_request``: 403 for a write while the caller's MSP, or the customer the request
    names, is held by the operator."""

    def check(request: Request) -> None:
        caller = resolve_caller(request, web)
        if caller is None:
            return  # the handler answers 401 or the sign-in page itself
        routed = request.path_params.get("customer_id")
        reason = held_reason(web, caller, [routed] if isinstance(routed, uuid.UUID) else [])
        if reason is not None:
            raise PermissionDeniedException(reason)

    async def before_request(request: Request) -> None:
        if request.method in _SAFE or request.url.path.startswith(OPEN_WHILE_HELD):
            return
        await asyncio.to_thread(check, request)

    return before_request
