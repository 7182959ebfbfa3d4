"""The team page (members and open invitations; the invite form) and accepting an invitation."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN, HTTP_503_SERVICE_UNAVAILABLE

from portal.db.models import Role
from portal.services.accounts import (
    MIN_PASSWORD_LENGTH,
    accept_invitation,
    accept_invitation_as_new_user,
    change_member,
    current_session,
    invitation,
    invite,
    members,
    pending_invitations,
    remove_member,
    sign_in,
)
from portal.services.customers import parse_tags
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.web.callers import PAGE_CALLER, Caller, audit_as, caller_unit_of_work
from portal.web.cookies import session_token, set_session_cookie
from portal.web.runtime import WebRuntime

__all__ = ["InvitationsController", "TeamController"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class InviteForm(msgspec.Struct):
    email: str = ""
    role: str = "msp_analyst"
    customer_id: str = ""
    tags: str = ""


class MemberChange(msgspec.Struct):
    role: str = ""
    tags: str = ""


class NewAccountForm(msgspec.Struct):
    display_name: str = ""
    password: str = ""
    confirm: str = ""


def _may_manage_team(caller: Caller) -> None:
    if not caller.may_manage_team:
        raise PermissionDeniedException("only MSP admins, and customer admins for their own users, manage a team")


class TeamController(Controller):
    path = "/team"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Template:
        _may_manage_team(caller)
        return self._render(request, web, caller)

    @post("/invitations", sync_to_thread=True)
    def send(self, request: Request, data: Annotated[InviteForm, _FORM],
             web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Template | Redirect:
        _may_manage_team(caller)
        try:
            role = Role(data.role)
            customer = uuid.UUID(data.customer_id) if data.customer_id else caller.membership.customer_id
            tags = frozenset(parse_tags(data.tags))
            with caller_unit_of_work(web, caller, request) as uow:
                invite(uow, web.engine, caller.membership, email=data.email, role=role,
                       customer_id=None if role in (Role.MSP_ADMIN, Role.MSP_ANALYST) else customer, tags=tags,
                       mailer=web.mailer, link_base=web.public_url)
        except (ValueError, InvalidInput) as exc:
            return self._render(request, web, caller, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
        except (Forbidden, NotFound) as exc:
            return self._render(request, web, caller, error=str(exc), status_code=HTTP_403_FORBIDDEN)
        except RuntimeError as exc:
            return self._render(request, web, caller, error=str(exc), status_code=HTTP_503_SERVICE_UNAVAILABLE)
        return self._render(request, web, caller, notice=f"Invitation sent to {data.email.strip()}.")

    @post("/members/{membership_id:uuid}", sync_to_thread=True)
    def change(self, request: Request, membership_id: FromPath[uuid.UUID], data: Annotated[MemberChange, _FORM],
               web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Template | Redirect:
        _may_manage_team(caller)
        try:
            role = Role(data.role)
            tags = frozenset(parse_tags(data.tags))
            with caller_unit_of_work(web, caller, request) as uow:
                change_member(uow, membership_id, role, tags)
        except ValueError:
            return self._render(request, web, caller, error="choose a role", status_code=HTTP_400_BAD_REQUEST)
        except InvalidInput as exc:
            return self._render(request, web, caller, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
        except Forbidden as exc:
            return self._render(request, web, caller, error=str(exc), status_code=HTTP_403_FORBIDDEN)
        audit_as(web, caller, "member.role_changed", f"membership:{membership_id}",
                 {"role": role.value, "tags": sorted(tags)})
        return Redirect("/team", status_code=303)

    @post("/members/{membership_id:uuid}/remove", sync_to_thread=True)
    def remove(self, request: Request, membership_id: FromPath[uuid.UUID],
               web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Template | Redirect:
        _may_manage_team(caller)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                remove_member(uow, membership_id)
        except Forbidden as exc:
            return self._render(request, web, caller, error=str(exc), status_code=HTTP_403_FORBIDDEN)
        audit_as(web, caller, "member.removed", f"membership:{membership_id}", {})
        return Redirect("/team", status_code=303)

    def _render(self, request: Request, web: WebRuntime, caller: Caller, *, status_code: int = 200,
                **context: object) -> Template:
        with caller_unit_of_work(web, caller, request) as uow:
            people, invitations = members(uow), pending_invitations(uow)
        return Template("accounts/team.html", status_code=status_code, context={
            "user": caller, "members": people, "invitations": invitations, "error": None, "notice": None,
            "is_msp_staff": caller.membership.is_msp_staff, **context})


class InvitationsController(Controller):
    path = "/invitations"
    include_in_schema = False

    @get("/{token:str}", sync_to_thread=True)
    def page(self, token: FromPath[str], web: NamedDependency[WebRuntime]) -> Template:
        return _invitation_page(web, token)

    @post("/{token:str}/new", sync_to_thread=True)
    def accept_new(self, request: Request, token: FromPath[str], data: Annotated[NewAccountForm, _FORM],
                   web: NamedDependency[WebRuntime]) -> Template | Redirect:
        found = invitation(web.engine, token)
        if data.password != data.confirm:
            return _invitation_page(web, token, error="The two passwords differ.", status_code=HTTP_400_BAD_REQUEST)
        try:
            accept_invitation_as_new_user(web.engine, token, display_name=data.display_name, password=data.password)
        except InvalidInput as exc:
            return _invitation_page(web, token, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
        assert found is not None  # the acceptance above succeeded, so the invitation was open
        session, _ = sign_in(web.engine, found.email, data.password,
                             address=request.client.host if request.client else "unknown")
        redirect = Redirect("/", status_code=303)
        set_session_cookie(redirect, session, web.tls)
        return redirect

    # Any signed-in browser, with or without an organisation yet: joining one is how a person gets one.
    @post("/{token:str}/accept", sync_to_thread=True)
    def accept(self, request: Request, token: FromPath[str], web: NamedDependency[WebRuntime]) -> Template | Redirect:
        session = session_token(request, web.tls)
        if request.headers.get("authorization") or current_session(web.engine, session) is None:
            return Redirect("/sign-in", status_code=303)
        assert session is not None
        if not accept_invitation(web.engine, token, session):
            return _invitation_page(web, token, status_code=HTTP_400_BAD_REQUEST,
                                    error="This invitation is not for the account you are signed in with, or it is "
                                          "used or expired.")
        return Redirect("/", status_code=303)


def _invitation_page(web: WebRuntime, token: str, *, error: str | None = None, status_code: int = 200) -> Template:
    found = invitation(web.engine, token)
    return Template("accounts/invitation.html", status_code=status_code if found else HTTP_400_BAD_REQUEST,
                    context={"invitation": found, "token": token, "error": error, "min_length": MIN_PASSWORD_LENGTH})
