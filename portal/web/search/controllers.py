"""``/search``: the fleet search page, its CSV export, and saving and deleting searches.

MSP staff only, like the fleet (a customer's own people have their tenant's page, and the API's
search, scoped to their tenant). Row-level security limits every answer to the caller's customers.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from portal.db.models import ConnectionState
from portal.db.uow import UnitOfWork
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.fleet import FleetQuery, fleet_figures
from portal.services.reverify import ReverifyProgress, reverify_progress, start_reverify
from portal.services.search import (
    MAX_QUERY,
    SEVERITIES,
    STATUSES,
    SearchSyntaxError,
    delete_saved_search,
    save_search,
    saved_searches,
    search,
    search_rows,
)
from portal.web.callers import PAGE_CALLER, Caller, audit_as, caller_unit_of_work, require_msp_staff
from portal.web.runtime import WebRuntime
from portal.web.search.query import CONTROLS, page_number, search_text
from portal.web.search.schemas import ReverifyForm, SaveSearchForm
from portal.web.spreadsheet import csv_response
from scanner import catalogue

__all__ = ["EXPORT_LIMIT", "SearchController"]

#: Findings in one CSV export at most.
EXPORT_LIMIT = 200_000
_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


def _titles() -> dict[str, str]:
    return {check.id: check.meta.title for check in catalogue()}


def _areas() -> list[str]:
    return sorted({check.meta.area for check in catalogue()})


def _run(uow: UnitOfWork, run_id: str | None) -> ReverifyProgress | None:
    """The re-verify a page follows (named in its URL), if it is one the caller can see."""
    try:
        return reverify_progress(uow, uuid.UUID(run_id or ""))
    except (ValueError, NotFound):
        return None


#: Why a customer user is refused here.
_STAFF_ONLY = "fleet search is for MSP staff; your tenant's page lists its findings"


class SearchController(Controller):
    path = "/search"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        require_msp_staff(caller, _STAFF_ONLY)
        params = request.query_params
        text = search_text(params)
        now = dt.datetime.now(dt.UTC)
        answer, error = None, None
        with caller_unit_of_work(web, caller, request) as uow:
            try:
                answer = search(uow, text, now=now, page=page_number(params)) if text else None
            except SearchSyntaxError as exc:
                error = str(exc)
            saved = saved_searches(uow, caller.user_id)
            reverify = _run(uow, params.get("reverify"))
            tags = fleet_figures(uow, FleetQuery(), now=now).tags
        return Template("search/page.html", status_code=HTTP_400_BAD_REQUEST if error else 200, context={
            "user": caller, "text": text, "q": params.get("q") or "", "answer": answer, "error": error,
            "saved": saved, "tags": tags, "areas": _areas(), "statuses": STATUSES, "severities": SEVERITIES,
            "states": [s.value for s in ConnectionState], "controls": {k: params.get(k) or "" for k in CONTROLS},
            "link": urlencode({"q": text}) if text else "", "saved_error": params.get("saved_error"),
            "reverify": reverify, "reverify_error": params.get("reverify_error"), "titles": _titles(),
            "may_reverify": web.scan_group is not None})

    @get("/export.csv", sync_to_thread=True)
    def export(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Response:
        require_msp_staff(caller, _STAFF_ONLY)
        text = search_text(request.query_params)
        now = dt.datetime.now(dt.UTC)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                customers = search_rows(uow, text, now=now, limit=EXPORT_LIMIT)
        except SearchSyntaxError as exc:
            return Response(str(exc), status_code=HTTP_400_BAD_REQUEST, media_type="text/plain; charset=utf-8")
        header = ["customer", "tenant_id", "check_id", "title", "area", "severity", "status", "reason", "references",
                  "affected_count", "affected", "evidence", "last_seen_at", "status_since"]
        rows = ((c.name, c.tenant_id, h.check_id, h.title, h.area, h.severity, h.status, h.reason,
                 " ".join(h.references), h.affected_count, " ".join(h.affected),
                 json.dumps(h.evidence, sort_keys=True, ensure_ascii=False), h.last_seen_at.isoformat(),
                 h.status_since.isoformat())
                for c in customers for h in c.hits)
        return csv_response(header, rows, f"search-{now.date().isoformat()}.csv")

    @post("/reverify", sync_to_thread=True)
    def reverify(self, request: Request, data: Annotated[ReverifyForm, _FORM], web: NamedDependency[WebRuntime],
                 caller: NamedDependency[Caller]) -> Redirect | Template:
        """Run the answer's checks again on every tenant it names; the page then shows the progress."""
        require_msp_staff(caller, _STAFF_ONLY)
        if web.scan_group is None:
            raise ServiceUnavailableException("this portal has no queue to send scans to: set POSTURE_BROKER_URL "
                                              "or run posture serve with the database")
        query = data.query[: MAX_QUERY + 1]
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                started = start_reverify(uow, caller.membership, actor=caller.email, query=query,
                                         now=dt.datetime.now(dt.UTC), send=web.scan_group)
        except InvalidInput as exc:  # a query that does not read, nothing to scan, or too many tenants
            return Redirect(f"/search?{urlencode({'q': query, 'reverify_error': str(exc)})}", status_code=303)
        audit_as(web, caller, "search.reverified", f"reverify:{started.run_id}",
                 {"query": query, "tenants": started.tenants, "skipped": started.skipped,
                  "checks": list(started.check_ids)})
        return Redirect(f"/search?{urlencode({'q': query, 'reverify': str(started.run_id)})}", status_code=303)

    @get("/reverify/{run_id:uuid}/progress", sync_to_thread=True)
    def progress(self, request: Request, run_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                          caller: NamedDependency[Caller]) -> Template:
        """The run's progress as an htmx fragment, polled every two seconds until every scan has ended."""
        require_msp_staff(caller, _STAFF_ONLY)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                progress = reverify_progress(uow, run_id)
        except NotFound:
            raise NotFoundException("no such re-verify, or not one you can see") from None
        return Template("search/_reverify.html", context={"progress": progress, "titles": _titles()})

    @post("/saved", sync_to_thread=True)
    def save(self, request: Request, data: Annotated[SaveSearchForm, _FORM], web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Redirect:
        require_msp_staff(caller, _STAFF_ONLY)
        query = data.query
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                save_search(uow, msp_id=caller.membership.msp_id, user_id=caller.user_id, name=data.name,
                            query=query, shared=data.shared == "on")
        except (InvalidInput, Conflict) as exc:
            return Redirect(f"/search?{urlencode({'q': query, 'saved_error': str(exc)})}", status_code=303)
        return Redirect(f"/search?{urlencode({'q': query})}", status_code=303)

    @post("/saved/{saved_id:uuid}/delete", sync_to_thread=True)
    def delete(self, request: Request, saved_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> Redirect:
        require_msp_staff(caller, _STAFF_ONLY)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                delete_saved_search(uow, saved_id)
        except NotFound:
            raise NotFoundException("no such saved search of yours") from None
        return Redirect("/search", status_code=303)
