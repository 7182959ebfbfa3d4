"""``/alerts``: the MSP's alert channels and rules, open alerts and the delivery log.

MSP staff read it; MSP admins change it (``Action.MANAGE_ALERTS``; migration 0018's policies check
it again). A generic webhook's signing secret is shown once, on the page that answers its creation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from portal.db.models import ChannelKind, Condition
from portal.services.accounts import Action, may
from portal.services.alerts import (
    CONDITION_LABELS,
    THRESHOLDS,
    alerting_view,
    create_channel,
    create_rule,
    delete_channel,
    delete_rule,
    send_test,
)
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.web.callers import PAGE_CALLER, Caller, caller_unit_of_work, require_msp_staff
from portal.web.runtime import WebRuntime
from scanner import get_check

__all__ = ["AlertsController"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
_STAFF_ONLY = "alerts are your service provider's"
_KIND_LABELS = {ChannelKind.EMAIL: "Email", ChannelKind.TEAMS: "Microsoft Teams", ChannelKind.SLACK: "Slack",
                ChannelKind.WEBHOOK: "Generic webhook (signed)"}


class ChannelForm(msgspec.Struct):
    kind: str = ""
    name: str = ""
    target: str = ""


class RuleForm(msgspec.Struct):
    condition: str = ""
    channel_id: str = ""
    threshold: str = ""
    tag: str = ""


def _title(check_id: str) -> str:
    if not check_id:
        return ""
    try:
        return get_check(check_id).meta.title
    except KeyError:
        return check_id


class AlertsController(Controller):
    path = "/alerts"
    include_in_schema = False
    dependencies = PAGE_CALLER

    def _page(self, request: Request, web: WebRuntime, caller: Caller, *, status_code: int = 200,
              **extra: object) -> Template:
        require_msp_staff(caller, _STAFF_ONLY)
        with caller_unit_of_work(web, caller, request) as uow:
            view = alerting_view(uow)
        channels = {c.id: c for c in view.channels}
        return Template("alerts/page.html", status_code=status_code, context={
            "user": caller, "view": view, "channels": channels, "kinds": _KIND_LABELS,
            "conditions": CONDITION_LABELS, "thresholds": {c.value: n for c, n in THRESHOLDS.items()},
            "may_manage": may(caller.membership, Action.MANAGE_ALERTS), "title": _title,
            "made": None, "error": None, "typed": {}, **extra})

    def _authorise(self, caller: Caller) -> None:
        require_msp_staff(caller, _STAFF_ONLY)
        if not may(caller.membership, Action.MANAGE_ALERTS):
            raise PermissionDeniedException("only MSP admins change where alerts go")

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        return self._page(request, web, caller)

    @post("/channels", sync_to_thread=True)
    def add_channel(self, request: Request, data: Annotated[ChannelForm, _FORM], web: NamedDependency[WebRuntime],
                    caller: NamedDependency[Caller]) -> Template | Redirect:
        self._authorise(caller)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                made = create_channel(uow, web.engine, caller.membership, kind=data.kind, name=data.name,
                                      target=data.target, allow_private=web.alerts_allow_private)
        except InvalidInput as exc:
            return self._page(request, web, caller, status_code=HTTP_400_BAD_REQUEST, error=str(exc),
                              typed={"kind": data.kind, "name": data.name})
        if made.signing_secret is None:
            return Redirect("/alerts?added=1", status_code=303)
        # The one time the signing secret is shown: not a redirect, so it is in no URL or history entry.
        return self._page(request, web, caller, made=made)

    @post("/channels/{channel_id:uuid}/delete", sync_to_thread=True)
    def remove_channel(self, request: Request, channel_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                       caller: NamedDependency[Caller]) -> Redirect:
        self._authorise(caller)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                delete_channel(uow, caller.membership, channel_id, now=dt.datetime.now(dt.UTC))
        except NotFound:
            raise NotFoundException("no such channel") from None
        return Redirect("/alerts", status_code=303)

    @post("/channels/{channel_id:uuid}/test", sync_to_thread=True)
    def test_channel(self, request: Request, channel_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                     caller: NamedDependency[Caller]) -> Redirect:
        self._authorise(caller)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                send_test(uow, caller.membership, channel_id)
        except NotFound:
            raise NotFoundException("no such channel") from None
        return Redirect("/alerts?tested=1#deliveries", status_code=303)

    @post("/rules", sync_to_thread=True)
    def add_rule(self, request: Request, data: Annotated[RuleForm, _FORM], web: NamedDependency[WebRuntime],
                 caller: NamedDependency[Caller]) -> Template | Redirect:
        self._authorise(caller)
        try:
            try:
                channel_id = uuid.UUID(data.channel_id)
            except ValueError:
                raise InvalidInput("choose the channel the alerts go to") from None
            threshold = None
            if data.threshold.strip() and data.condition in (Condition.SCORE_DROP, Condition.SCAN_FAILING):
                try:
                    threshold = int(data.threshold)
                except ValueError:
                    raise InvalidInput("the number is a whole number from 1 to 100") from None
            with caller_unit_of_work(web, caller, request) as uow:
                create_rule(uow, caller.membership, condition=data.condition, channel_id=channel_id,
                            threshold=threshold, tag=data.tag)
        except (InvalidInput, NotFound) as exc:
            message = str(exc) if isinstance(exc, InvalidInput) else "choose the channel the alerts go to"
            return self._page(request, web, caller, status_code=HTTP_400_BAD_REQUEST, error=message)
        return Redirect("/alerts", status_code=303)

    @post("/rules/{rule_id:uuid}/delete", sync_to_thread=True)
    def remove_rule(self, request: Request, rule_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                    caller: NamedDependency[Caller]) -> Redirect:
        self._authorise(caller)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                delete_rule(uow, caller.membership, rule_id, now=dt.datetime.now(dt.UTC))
        except (NotFound, Forbidden):
            raise NotFoundException("no such rule") from None
        return Redirect("/alerts", status_code=303)
