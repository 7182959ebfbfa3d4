"""Cross-tenant search: one query language (``_syntax``) answered from the projection (``_query``),
and the searches people save (``_saved``). The fleet search page, its CSV export, ``/api/v1/search``
and re-verify all read the same answer."""

from portal.services.search._query import (
    AFFECTED_SHOWN,
    PAGE_SIZE,
    CustomerHits,
    SearchHit,
    SearchPage,
    matching_check_ids,
    matching_targets,
    search,
    search_rows,
    shown_status,
)
from portal.services.search._saved import SavedSearchView, delete_saved_search, save_search, saved_searches
from portal.services.search._syntax import MAX_QUERY, SEVERITIES, STATUSES, Field, SearchSyntaxError, Term, parse

__all__ = ["AFFECTED_SHOWN", "MAX_QUERY", "PAGE_SIZE", "SEVERITIES", "STATUSES", "CustomerHits", "Field",
           "SavedSearchView", "SearchHit", "SearchPage", "SearchSyntaxError", "Term", "delete_saved_search",
           "matching_check_ids", "matching_targets", "parse", "save_search", "saved_searches", "search", "search_rows",
           "shown_status"]
