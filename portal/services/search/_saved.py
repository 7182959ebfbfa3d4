"""Saved searches: an MSP staff member's own, and those shared with the MSP's staff.

Row-level security (migration 0015) shows a staff member their own and the shared ones of their
MSP, and lets them change only their own; customer users see none. The service checks the query
reads (a saved search that cannot run is a trap for whoever opens it later).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from portal.db.models import SavedSearch
from portal.db.uow import UnitOfWork
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.search._syntax import parse

__all__ = ["SavedSearchView", "delete_saved_search", "save_search", "saved_searches"]

_MAX_NAME = 100


@dataclass(frozen=True)
class SavedSearchView:
    id: uuid.UUID
    name: str
    query: str
    shared: bool
    mine: bool


def saved_searches(uow: UnitOfWork, user_id: uuid.UUID) -> list[SavedSearchView]:
    """The caller's saved searches and the MSP's shared ones, by name."""
    rows = uow.session.scalars(select(SavedSearch).order_by(SavedSearch.name, SavedSearch.id))
    return [SavedSearchView(r.id, r.name, r.query, r.shared, r.user_id == user_id) for r in rows]


def save_search(uow: UnitOfWork, *, msp_id: uuid.UUID, user_id: uuid.UUID, name: str, query: str,
                shared: bool) -> uuid.UUID:
    """Save ``query`` under ``name`` for the caller (shared with the MSP's staff when ``shared``).

    Raises:
        InvalidInput: no name, a name too long, or a query that does not read.
        Conflict: the caller already has a saved search of that name.
    """
    name = " ".join(name.replace("\x00", "").split())
    query = query.replace("\x00", "").strip()
    if not name or len(name) > _MAX_NAME:
        raise InvalidInput(f"a saved search needs a name of 1 to {_MAX_NAME} characters")
    if not query:
        raise InvalidInput("there is nothing to save: the search is empty")
    parse(query)
    try:
        with uow.session.begin_nested():
            saved_id = uow.session.scalars(insert(SavedSearch).values(
                msp_id=msp_id, user_id=user_id, name=name, query=query, shared=shared).returning(SavedSearch.id)).one()
    except IntegrityError as exc:
        raise Conflict(f"you already have a saved search called '{name}'") from exc
    return saved_id


def delete_saved_search(uow: UnitOfWork, saved_id: uuid.UUID) -> None:
    """Delete one of the caller's saved searches. Raises ``NotFound`` for any other (a shared one included)."""
    deleted = uow.session.execute(delete(SavedSearch).where(SavedSearch.id == saved_id).returning(SavedSearch.name))
    if deleted.scalar_one_or_none() is None:
        raise NotFound("no such saved search of yours")
