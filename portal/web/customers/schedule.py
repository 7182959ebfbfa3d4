"""A customer's scan schedule (cadence and time window) and its suspension, from the customer's page.

Who may: the schedule, MSP admins and staff at the Manage tier (``Action.MANAGE_CONNECTION``);
suspension, MSP admins (``Action.MANAGE_CUSTOMERS``). The database checks both again (migration 0017).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.scans import ScanWindow, set_schedule, set_suspended
from portal.web.callers import PAGE_CALLER, Caller, caller_unit_of_work
from portal.web.customers.pages import render_customer_page
from portal.web.runtime import WebRuntime

__all__ = ["ScheduleController", "ScheduleForm", "SuspensionForm"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class ScheduleForm(msgspec.Struct):
    interval_hours: str = "24"
    window: str = ""  # "on" when scans keep to a window
    window_start: str = ""
    window_end: str = ""
    timezone: str = "UTC"


class SuspensionForm(msgspec.Struct):
    suspended: str = ""  # "1" to suspend, "0" to resume


def _hour(value: str, what: str) -> int:
    try:
        return int(value.split(":")[0])
    except ValueError:
        raise InvalidInput(f"choose the hour the window {what}") from None


def parse_schedule(form: ScheduleForm) -> tuple[int, ScanWindow | None]:
    """The form's interval and window. Raises ``InvalidInput`` naming what cannot be read."""
    try:
        interval = int(form.interval_hours)
    except ValueError:
        raise InvalidInput("choose how often to scan") from None
    if form.window != "on":
        return interval, None
    return interval, ScanWindow(_hour(form.window_start, "opens"), _hour(form.window_end, "closes"),
                                form.timezone.strip() or "UTC")


class ScheduleController(Controller):
    path = "/customers"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @post("/{customer_id:uuid}/schedule", sync_to_thread=True)
    def schedule(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[ScheduleForm, _FORM],
                 web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Redirect | Template:
        """Set how often and when the tenant is scanned."""
        try:
            interval, window = parse_schedule(data)
            with caller_unit_of_work(web, caller, request) as uow:
                set_schedule(uow, caller.membership, customer_id, interval_hours=interval, window=window,
                             now=dt.datetime.now(dt.UTC))
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            return render_customer_page(request, web, caller, customer_id, status_code=HTTP_400_BAD_REQUEST,
                                        schedule_error=str(exc))
        return Redirect(f"/customers/{customer_id}?schedule=1#schedule", status_code=303)

    @post("/{customer_id:uuid}/suspension", sync_to_thread=True)
    def suspension(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[SuspensionForm, _FORM],
                   web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Redirect:
        """Suspend the customer (no scans at all) or resume it."""
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                set_suspended(uow, caller.membership, customer_id, suspended=data.suspended == "1")
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        return Redirect(f"/customers/{customer_id}#schedule", status_code=303)
