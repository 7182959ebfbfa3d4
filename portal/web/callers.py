"""Who is calling: a personal API token (``Authorization: Bearer``) or the browser's session.

Both end as a :class:`Caller`: one user acting as one membership (the token's, or the session's
chosen organisation), from which the row-level security scope is computed by the one rule in
``portal.services.accounts``. Every request a token makes is recorded in the audit trail
(:func:`caller_unit_of_work`).

Handlers do not look for the caller themselves: they declare a ``caller`` parameter and their
controller names the dependency that provides it (:data:`PAGE_CALLER`, :data:`ENROLLING_CALLER`,
:data:`API_CALLER`). Those raise :class:`SignInRequired` or :class:`SecondFactorSetupRequired`,
which the app turns into a redirect for pages; the API's dependency answers 401 instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect

from portal.db.models import AccessTier
from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.accounts import (
    Action,
    CustomerAccess,
    MembershipView,
    Organisation,
    SignedIn,
    current_session,
    may,
    scope_for,
    staff_needs_second_factor,
    token_caller,
)
from portal.services.audit import record_event
from portal.services.service_status import SUSPENDED_MESSAGE
from portal.web.cookies import ORGANISATION_COOKIE, session_token
from portal.web.runtime import WebRuntime

__all__ = ["API_CALLER", "ENROLLING_CALLER", "PAGE_CALLER", "Caller", "SecondFactorSetupRequired",
           "SignInRequired", "active_organisation", "audit_as", "caller_unit_of_work", "redirect_to_second_factor",
           "redirect_to_sign_in", "require_msp_staff", "resolve_caller"]


class SignInRequired(Exception):
    """A page was asked for without a valid browser session (pages answer with the sign-in page)."""


class SecondFactorSetupRequired(Exception):
    """The caller's MSP requires a second factor of its staff, and the caller has none yet."""


@dataclass(frozen=True)
class Caller:
    """One user acting as one membership, through a browser session or a token (``token_id``)."""

    user_id: uuid.UUID
    email: str
    display_name: str
    membership: MembershipView
    read_write: bool
    token_id: uuid.UUID | None = None  # None: the browser session
    organisations: tuple[Organisation, ...] = ()  # a session's; a token acts in one only
    active_key: str | None = None
    #: Shown the operator's pages in the navigation; what the operator may do, the database decides.
    is_platform_operator: bool = False
    #: Why the caller's organisation is read only (the operator holds it), for the banner on every page.
    held: str | None = None

    @property
    def may_manage_team(self) -> bool:
        """MSP admins manage the MSP's team; customer admins their own tenant's users."""
        if self.membership.is_msp_staff:
            return may(self.membership, Action.MANAGE_TEAM)
        return may(self.membership, Action.MANAGE_CUSTOMER_USERS, self._own_customer())

    @property
    def may_view_audit(self) -> bool:
        """MSP admins read the MSP's trail; customer admins their tenant's."""
        if self.membership.is_msp_staff:
            return may(self.membership, Action.VIEW_MSP_AUDIT)
        return may(self.membership, Action.VIEW_AUDIT, self._own_customer())

    def _own_customer(self) -> CustomerAccess:
        # The tier bounds MSP staff only, never a customer's own people (portal.services.accounts._access).
        assert self.membership.customer_id is not None
        return CustomerAccess(self.membership.customer_id, self.membership.msp_id, AccessTier.MONITOR)


def require_msp_staff(caller: Caller, why: str) -> None:
    """Refuse (403) a caller who is not MSP staff; ``why`` says where their own view is."""
    if not caller.membership.is_msp_staff:
        raise PermissionDeniedException(why)


def active_organisation(session: SignedIn, chosen: str | None) -> Organisation | None:
    """The organisation the user chose (cookie), if it is one of theirs; else their first."""
    for organisation in session.organisations:
        if organisation.key == chosen:
            return organisation
    return session.organisations[0] if session.organisations else None


def resolve_caller(request: Request, web: WebRuntime) -> Caller | None:
    """The caller of ``request``, or None when it carries no valid token or session (or the session's
    user belongs to no organisation yet)."""
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
    return Caller(session.user_id, session.email, session.display_name, organisation.membership, read_write=True,
                  organisations=session.organisations, active_key=organisation.key,
                  is_platform_operator=session.is_platform_operator, held=_held(organisation))


def _held(organisation: Organisation) -> str | None:
    if organisation.msp_suspended:
        return SUSPENDED_MESSAGE
    if organisation.customer_held:
        return "this service is suspended by the platform operator: it is read only"
    return None


def _session_caller(request: Request, web: NamedDependency[WebRuntime]) -> Caller:
    if request.headers.get("authorization"):
        raise SignInRequired  # a token manages no account and opens no page
    caller = resolve_caller(request, web)
    if caller is None:
        raise SignInRequired
    return caller


def _page_caller(request: Request, web: NamedDependency[WebRuntime]) -> Caller:
    caller = _session_caller(request, web)
    if staff_needs_second_factor(web.engine, session_token(request, web.tls)):
        raise SecondFactorSetupRequired
    return caller


def _api_caller(request: Request, web: NamedDependency[WebRuntime]) -> Caller:
    caller = resolve_caller(request, web)
    if caller is None:
        raise NotAuthorizedException("sign in, or send a valid personal API token as 'Authorization: Bearer'",
                                     headers={"WWW-Authenticate": 'Bearer realm="posture"'})
    return caller


#: Pages: a signed-in browser, with its second factor set up where the MSP requires one.
PAGE_CALLER = {"caller": Provide(_page_caller, sync_to_thread=True)}
#: The pages that set the second factor up: a signed-in browser, before that requirement.
ENROLLING_CALLER = {"caller": Provide(_session_caller, sync_to_thread=True)}
#: ``/api/v1``: a token or a browser session; 401 (with ``WWW-Authenticate``, as RFC 6750 asks) without.
API_CALLER = {"caller": Provide(_api_caller, sync_to_thread=True)}


def redirect_to_sign_in(_: Request, __: SignInRequired) -> Redirect:
    return Redirect("/sign-in", status_code=303)


def redirect_to_second_factor(_: Request, __: SecondFactorSetupRequired) -> Redirect:
    return Redirect("/account/two-factor?required=1", status_code=303)


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
