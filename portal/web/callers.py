"""Who is calling: a personal API token (``Authorization: Bearer``) or the browser's session.

Both end as a :class:`Caller`: one user acting as one membership (the token's, or the session's
chosen organisation), from which the row-level security scope is computed by the one rule in
``portal.services.accounts``. Every request a token makes is recorded in the audit trail
(:func:`caller_unit_of_work`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.accounts import MembershipView, current_session, scope_for, token_caller
from portal.services.audit import record_event
from portal.web.accounts.controllers import active_organisation
from portal.web.accounts.cookies import ORGANISATION_COOKIE, session_token
from portal.web.runtime import WebRuntime

__all__ = ["Caller", "audit_as", "caller_unit_of_work", "require_caller", "resolve_caller"]


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    email: str
    display_name: str
    membership: MembershipView
    read_write: bool
    token_id: uuid.UUID | None = None  # None: the browser session


def resolve_caller(request: Request, web: WebRuntime) -> Caller | None:
    """The caller of ``request``, or None when it carries no valid token or session."""
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        found = token_caller(web.engine, token.strip())
        if found is None:
            return None
        return Caller(found.user_id, found.email, found.display_name, found.membership, found.read_write,
                      found.token_id)
    session = current_session(web.engine, session_token(request, web.tls))
    if session is None:
        return None
    organisation = active_organisation(session, request.cookies.get(ORGANISATION_COOKIE))
    if organisation is None:
        return None
    return Caller(session.user_id, session.email, session.display_name, organisation.membership, read_write=True)


def session_caller(request: Request, web: WebRuntime) -> Caller | None:
    """The caller when it is a signed-in browser; None for no caller or a token (a token manages no account)."""
    caller = resolve_caller(request, web)
    return caller if caller is not None and caller.token_id is None else None


def require_caller(request: Request, web: WebRuntime) -> Caller:
    """:func:`resolve_caller`, or 401 (with ``WWW-Authenticate``, as RFC 6750 asks)."""
    caller = resolve_caller(request, web)
    if caller is None:
        raise NotAuthorizedException("sign in, or send a valid personal API token as 'Authorization: Bearer'",
                                     headers={"WWW-Authenticate": 'Bearer realm="posture"'})
    return caller


@contextmanager
def caller_unit_of_work(web: WebRuntime, caller: Caller, request: Request) -> Iterator[UnitOfWork]:
    """The request's transaction, in the caller's scope; a token's use is audited in it."""
    if caller.token_id is not None:
        _audit_token_use(web, caller, request)
    scope = scope_for(web.engine, caller.membership, email=caller.email, user_id=caller.user_id)
    with unit_of_work(web.engine, scope) as uow:
        yield uow


def _audit_token_use(web: WebRuntime, caller: Caller, request: Request) -> None:
    audit_as(web, caller, "api.token_used", f"token:{caller.token_id}",
             {"method": request.method, "path": request.url.path})


def audit_as(web: WebRuntime, caller: Caller, action: str, target: str, details: dict[str, object]) -> None:
    """Record an event of the caller's in its own transaction, MSP-wide: a caller limited to some
    customers may not write the MSP's own rows, and the record stays even when the request then fails."""
    scope = Scope.for_msp(caller.membership.msp_id, actor=caller.email)
    with unit_of_work(web.engine, scope) as uow:
        record_event(uow, customer_id=caller.membership.customer_id, action=action, target=target, details=details)
