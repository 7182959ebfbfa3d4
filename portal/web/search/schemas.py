"""What ``/api/v1/search`` answers (CONTRACT.md "HTTP"): one struct per direction, never an ORM row."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

__all__ = ["CustomerRef", "ReverifyForm", "SaveSearchForm", "SearchOut", "SearchResultOut"]


class CustomerRef(msgspec.Struct):
    id: uuid.UUID
    name: str


class SearchResultOut(msgspec.Struct):
    customer: CustomerRef
    check_id: str
    title: str
    status: str  # pass, fail, not_applicable, error, or accepted (failing, with a standing acceptance)
    severity: str
    reason: str | None
    references: list[str]
    evidence: dict[str, Any]
    affected: list[str]  # the first 100; affected_count has them all
    affected_count: int
    last_seen_at: dt.datetime


class SearchOut(msgspec.Struct):
    query: str
    results: list[SearchResultOut]
    page: int
    pages: int
    total_customers: int
    total_findings: int
    by_status: dict[str, int]
    check_ids: list[str]


class SaveSearchForm(msgspec.Struct):
    """The page's "Save this search" form (``application/x-www-form-urlencoded``)."""

    name: str = ""
    query: str = ""
    shared: str = ""  # "on" when ticked


class ReverifyForm(msgspec.Struct):
    """The page's "Re-verify now" form: the search whose answer to run again."""

    query: str = ""
