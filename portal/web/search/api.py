"""``GET /api/v1/search``: a fleet search for scripts and the AI helpers; the page's answer, as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from portal.services.search import MAX_QUERY, SearchSyntaxError, search
from portal.web.callers import API_CALLER, Caller, caller_unit_of_work
from portal.web.runtime import WebRuntime
from portal.web.search.schemas import CustomerRef, SearchOut, SearchResultOut

__all__ = ["API_PAGE_SIZE", "SearchApiController"]

#: Customers per page of the API's answer.
API_PAGE_SIZE = 100


class SearchApiController(Controller):
    path = "/api/v1/search"
    tags = ["search"]
    dependencies = API_CALLER

    @get("/", operation_id="searchFleet", summary="Findings across every customer the caller may see",
         description="400 when the query cannot be read; the detail says which term and what is allowed.",
         raises=[ValidationException], sync_to_thread=True)
    def search_fleet(
        self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller],
        q: Annotated[str, QueryParameter(description="The query: check:, ref:, status:, severity:, tag:, "
                                         "evidence.FIELD=VALUE, ... combined with spaces (AND)",
                                         max_length=MAX_QUERY)] = "",
        page: Annotated[int, QueryParameter(ge=1, le=100_000, description="Pages of 100 customers")] = 1,
    ) -> SearchOut:
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                answer = search(uow, q, now=dt.datetime.now(dt.UTC), page=page, page_size=API_PAGE_SIZE)
        except SearchSyntaxError as exc:
            raise ValidationException(str(exc)) from None
        return SearchOut(
            query=q, page=answer.page, pages=answer.pages, total_customers=answer.total_customers,
            total_findings=answer.total_findings, by_status=answer.by_status, check_ids=list(answer.check_ids),
            results=[SearchResultOut(
                customer=CustomerRef(c.customer_id, c.name), check_id=h.check_id, title=h.title, status=h.status,
                severity=h.severity, reason=h.reason, references=list(h.references), evidence=h.evidence,
                affected=list(h.affected), affected_count=h.affected_count, last_seen_at=h.last_seen_at)
                for c in answer.customers for h in c.hits])
