"""``/baselines``: each customer's alignment with its baseline, and the MSP's baselines (made and
changed by MSP admins; migration 0019's policies check it again). Saving one asks the workers to
rescore every customer (the web role writes no scores)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from portal.db.models import Baseline
from portal.services.accounts import Action, may
from portal.services.baselines import SETTINGS, BaselineForm, alignment, baselines, delete_baseline, save_baseline
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.web.callers import PAGE_CALLER, Caller, caller_unit_of_work, require_msp_staff
from portal.web.runtime import WebRuntime
from scanner import catalogue

__all__ = ["BaselinesController"]

_STAFF_ONLY = "baselines are your service provider's"
_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


def _catalogue_by_area() -> list[tuple[str, list[Any]]]:
    areas: dict[str, list[Any]] = {}
    for check in catalogue():
        areas.setdefault(check.meta.area, []).append(check.meta)
    return sorted(areas.items())


def _form_of(data: Mapping[str, Any]) -> BaselineForm:
    chosen = data.get("check_ids")
    checks = chosen if isinstance(chosen, list) else [chosen] if chosen else []
    return BaselineForm(
        name=str(data.get("name", "")), description=str(data.get("description", "")),
        check_ids=None if data.get("every_check") == "on" else tuple(str(c) for c in checks),
        overrides=str(data.get("overrides", "")), settings={s.name: str(data.get(s.name, "")) for s in SETTINGS},
        assign_tags=str(data.get("assign_tags", "")), assign_tiers=str(data.get("assign_tiers", "")),
        is_default=data.get("is_default") == "on", priority=str(data.get("priority", "100")))


def _as_form(baseline: Baseline) -> BaselineForm:
    return BaselineForm(
        name=baseline.name, description=baseline.description,
        check_ids=None if baseline.check_ids is None else tuple(baseline.check_ids),
        overrides="\n".join(f"{k}: {v}" for k, v in sorted((baseline.severity_overrides or {}).items())),
        settings={k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in (baseline.settings or {}).items()},
        assign_tags=", ".join(baseline.assign_tags or ()), assign_tiers=", ".join(baseline.assign_tiers or ()),
        is_default=baseline.is_default, priority=str(baseline.priority))


class BaselinesController(Controller):
    path = "/baselines"
    include_in_schema = False
    dependencies = PAGE_CALLER

    def _authorise(self, caller: Caller) -> None:
        require_msp_staff(caller, _STAFF_ONLY)
        if not may(caller.membership, Action.MANAGE_CUSTOMERS):
            raise PermissionDeniedException("only MSP admins change baselines")

    def _rescore(self, web: WebRuntime, caller: Caller, customers: list[uuid.UUID]) -> None:
        if web.rescore_queue is not None:
            for customer_id in customers:
                web.rescore_queue(msp_id=caller.membership.msp_id, customer_id=customer_id)

    def _editor(self, caller: Caller, baseline: Baseline | None, *, status_code: int = 200, error: str | None = None,
                typed: BaselineForm | None = None, baseline_id: uuid.UUID | None = None) -> Template:
        """The form, filled from ``baseline`` (editing), from ``typed`` (after an error), or empty."""
        shown = typed or (_as_form(baseline) if baseline is not None else BaselineForm(name=""))
        return Template("baselines/edit.html", status_code=status_code, context={
            "user": caller, "f": shown, "baseline_id": baseline.id if baseline is not None else baseline_id,
            "areas": _catalogue_by_area(), "settings": SETTINGS, "error": error})

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        require_msp_staff(caller, _STAFF_ONLY)
        with caller_unit_of_work(web, caller, request) as uow:
            rows, every = alignment(uow), baselines(uow)
        return Template("baselines/page.html", context={
            "user": caller, "rows": rows, "baselines": every, "catalogue_size": len(catalogue()),
            "may_manage": may(caller.membership, Action.MANAGE_CUSTOMERS),
            "saved": request.query_params.get("saved") == "1"})

    @get("/new", sync_to_thread=True)
    def new(self, caller: NamedDependency[Caller]) -> Template:
        self._authorise(caller)
        return self._editor(caller, None)

    @get("/{baseline_id:uuid}", sync_to_thread=True)
    def edit(self, request: Request, baseline_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Template:
        self._authorise(caller)
        with caller_unit_of_work(web, caller, request) as uow:
            baseline = next((b for b in baselines(uow) if b.id == baseline_id), None)
        if baseline is None:
            raise NotFoundException("no such baseline")
        return self._editor(caller, baseline)

    def _save(self, request: Request, web: WebRuntime, caller: Caller, data: Mapping[str, Any],
              baseline_id: uuid.UUID | None) -> Template | Redirect:
        form = _form_of(data)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                _, customers = save_baseline(uow, caller.membership, form, now=dt.datetime.now(dt.UTC),
                                             baseline_id=baseline_id)
        except NotFound:
            raise NotFoundException("no such baseline") from None
        except (InvalidInput, Conflict) as exc:
            code = HTTP_409_CONFLICT if isinstance(exc, Conflict) else HTTP_400_BAD_REQUEST
            return self._editor(caller, None, status_code=code, error=str(exc), typed=form, baseline_id=baseline_id)
        self._rescore(web, caller, customers)
        return Redirect("/baselines?saved=1", status_code=303)

    @post("/new", sync_to_thread=True)
    def create(self, request: Request, data: Annotated[dict[str, Any], _FORM], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> Template | Redirect:
        self._authorise(caller)
        return self._save(request, web, caller, data, None)

    @post("/{baseline_id:uuid}", sync_to_thread=True)
    def update(self, request: Request, baseline_id: FromPath[uuid.UUID], data: Annotated[dict[str, Any], _FORM],
               web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template | Redirect:
        self._authorise(caller)
        return self._save(request, web, caller, data, baseline_id)

    @post("/{baseline_id:uuid}/delete", sync_to_thread=True)
    def remove(self, request: Request, baseline_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> Redirect:
        self._authorise(caller)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                customers = delete_baseline(uow, caller.membership, baseline_id, now=dt.datetime.now(dt.UTC))
        except NotFound:
            raise NotFoundException("no such baseline") from None
        self._rescore(web, caller, customers)
        return Redirect("/baselines?saved=1", status_code=303)
