"""The personal API tokens page: list yours, make one (shown once), revoke one.

Only a browser session may manage tokens (a token cannot make more tokens), and a token is made in
the organisation the session has chosen, with at most that membership's rights.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from portal.services.accounts import MAX_TOKEN_DAYS, create_token, list_tokens, revoke_token
from portal.services.errors import InvalidInput
from portal.web.callers import PAGE_CALLER, Caller, audit_as, caller_unit_of_work
from portal.web.runtime import WebRuntime

__all__ = ["TokenForm", "TokensController"]


class TokenForm(msgspec.Struct):
    name: str = ""
    days: int = 90
    access: str = "read"  # read | read_write


class TokensController(Controller):
    path = "/account/tokens"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        return self._render(request, web, caller)

    @post("/", sync_to_thread=True)
    def create(self, request: Request, data: Annotated[TokenForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
               web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                token_id, token = create_token(uow, name=data.name, read_write=data.access == "read_write",
                                               days=data.days, customer_id=caller.membership.customer_id)
        except InvalidInput as exc:
            return self._render(request, web, caller, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
        audit_as(web, caller, "api_token.created", f"token:{token_id}",
                 {"name": data.name.strip(), "read_write": data.access == "read_write", "days": data.days})
        return self._render(request, web, caller, new_token=token)

    @post("/{token_id:uuid}/revoke", sync_to_thread=True)
    def revoke(self, request: Request, token_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> Redirect:
        with caller_unit_of_work(web, caller, request) as uow:
            revoked = revoke_token(uow, token_id)  # someone else's id revokes nothing
        if revoked:
            audit_as(web, caller, "api_token.revoked", f"token:{token_id}", {})
        return Redirect("/account/tokens", status_code=303)

    def _render(self, request: Request, web: WebRuntime, caller: Caller, *, new_token: str | None = None,
                error: str | None = None, status_code: int = 200) -> Template:
        with caller_unit_of_work(web, caller, request) as uow:
            tokens = list_tokens(uow)
        return Template("accounts/tokens.html", status_code=status_code, context={
            "user": caller, "tokens": tokens, "new_token": new_token, "error": error, "max_days": MAX_TOKEN_DAYS})

