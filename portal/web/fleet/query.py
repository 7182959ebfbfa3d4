"""Reading a fleet question from a request's query string: the page, the CSV export and the API agree.

Anything unknown (a state that does not exist, a page that is not a number) is dropped rather than
refused: a bookmarked URL keeps working when a filter's value goes away.
"""

from __future__ import annotations

from collections.abc import Mapping

from portal.db.models import AccessTier, ConnectionState
from portal.services.fleet import PAGE_SIZE, FleetQuery, FleetSort

__all__ = ["fleet_query"]


def _choice(kind: type, value: str | None):  # type: ignore[no-untyped-def]
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _text(value: str | None, limit: int) -> str:
    # PostgreSQL text cannot hold NUL, so no name or tag contains one: a NUL in a search is noise.
    return (value or "").replace("\x00", "").strip()[:limit]


def fleet_query(params: Mapping[str, str], *, page_size: int = PAGE_SIZE) -> FleetQuery:
    """The :class:`FleetQuery` of ``q``, ``tag``, ``state``, ``tier``, ``sort`` and ``page``."""
    try:
        page = max(1, min(int(params.get("page") or 1), 1_000_000))
    except ValueError:
        page = 1
    return FleetQuery(
        search=_text(params.get("q"), 200), tag=_text(params.get("tag"), 100) or None,
        state=_choice(ConnectionState, params.get("state")), tier=_choice(AccessTier, params.get("tier")),
        sort=_choice(FleetSort, params.get("sort")) or FleetSort.NAME, page=page, page_size=page_size)
