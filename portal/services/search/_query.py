"""Answer a fleet search from the projection: which customers have which matching findings.

Terms about the check itself (id, reference, area, title words) are resolved against the catalogue
into a set of check ids first; terms about a finding (status, severity, evidence, affected objects,
age) and about its customer (name, tag, tiers, connection state) become SQL conditions on one join
of ``latest_results`` and ``customers``. Row-level security limits both tables to the caller's
scope, so the same code answers an MSP admin, a tagged analyst and a customer admin, each with
exactly what they may see.

Decisions:
- A finding's status as searched and shown is the scanner's, except that a failing check with a
  standing risk acceptance is ``accepted`` (and no longer ``fail``): accepted risks stay visible,
  labelled, everywhere.
- Results are paged by customer (a customer's matching findings are never split across pages), in
  name order; within a customer, failing first, then by severity.
- Evidence terms use JSON containment (``@>``, served by the GIN index of migration 0015);
  ``affected`` compares lower-cased (addresses and UPNs have no case), exactly or with ``*``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Text,
    and_,
    any_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from portal.db.models import Customer, LatestResult, RiskAcceptance
from portal.db.uow import UnitOfWork
from portal.services.search._syntax import Field, Term, parse
from scanner import CheckMeta, catalogue

__all__ = ["AFFECTED_SHOWN", "PAGE_SIZE", "CustomerHits", "SearchHit", "SearchPage", "matching_check_ids",
           "matching_targets", "search", "search_rows", "shown_status"]

#: Customers per page.
PAGE_SIZE = 50
#: Affected objects returned per finding (the count is always the full one; the CSV has them all).
AFFECTED_SHOWN = 100

_L = LatestResult.__table__.alias("l")
_C = Customer.__table__.alias("c")
_R = RiskAcceptance.__table__
_SEVERITY_RANK = {s: i for i, s in enumerate(("critical", "high", "medium", "low", "info"))}
_STATUS_RANK = {s: i for i, s in enumerate(("fail", "accepted", "error", "pass", "not_applicable"))}
_CHECK_FIELDS = (Field.CHECK, Field.REF, Field.AREA, Field.TEXT)
_VERSION = re.compile(r"v\d+$", re.IGNORECASE)


@functools.cache
def _metas() -> tuple[CheckMeta, ...]:
    return tuple(check.meta for check in catalogue())


@functools.cache
def _meta_by_id() -> dict[str, CheckMeta]:
    return {meta.id: meta for meta in _metas()}


@dataclass(frozen=True)
class SearchHit:
    check_id: str
    title: str
    area: str
    status: str  # the scanner's, or "accepted"
    severity: str
    reason: str | None
    references: tuple[str, ...]
    evidence: dict[str, Any]
    affected: tuple[str, ...]  # at most AFFECTED_SHOWN (search_rows: all)
    affected_count: int
    last_seen_at: dt.datetime
    status_since: dt.datetime


@dataclass(frozen=True)
class CustomerHits:
    customer_id: uuid.UUID
    name: str
    tenant_id: str | None
    connection_state: str
    score: float | None
    grade: str | None
    tags: tuple[str, ...]
    service_tier: str
    hits: tuple[SearchHit, ...]


@dataclass(frozen=True)
class SearchPage:
    """One page of answers, and what the whole answer holds.

    Attributes:
        check_ids: every check among all the matches (what a re-verify of the answer re-runs).
        by_status: matching findings per status, over all pages.
    """

    query: str
    customers: tuple[CustomerHits, ...]
    total_customers: int
    total_findings: int
    page: int
    pages: int
    check_ids: tuple[str, ...]
    by_status: dict[str, int]


# -- the check terms, against the catalogue --------------------------------------------------------


def _reference_matches(reference: str, wanted: str) -> bool:
    ref, want = reference.lower(), wanted.lower()
    return (ref == want or _VERSION.sub("", ref) == want or ref.endswith(" " + want)
            or ref.startswith(want + ".") or ref.startswith(want + " "))


def _check_matches(meta: CheckMeta, term: Term) -> bool:
    if term.field is Field.CHECK:
        return any(fnmatch.fnmatchcase(meta.id.lower(), value.lower()) for value in term.values)
    if term.field is Field.REF:
        return any(_reference_matches(r, v) for r in meta.references for v in term.values)
    if term.field is Field.AREA:
        return any(v.lower() in meta.area.lower() for v in term.values)
    text = f"{meta.title} {meta.id}".lower()
    return all(v.lower() in text for v in term.values)


def matching_check_ids(terms: Iterable[Term]) -> frozenset[str] | None:
    """The catalogue's checks that every check term allows; None when no term is about the check."""
    check_terms = [t for t in terms if t.field in _CHECK_FIELDS]
    if not check_terms:
        return None
    return frozenset(m.id for m in _metas() if all(_check_matches(m, t) != t.negated for t in check_terms))


# -- the finding and customer terms, in SQL ---------------------------------------------------------


def _accepted(now: dt.datetime) -> ColumnElement[bool]:
    return exists().where(_R.c.customer_id == _L.c.customer_id, _R.c.check_id == _L.c.check_id,
                          _R.c.revoked_at.is_(None), _R.c.expires_at > now)


def shown_status(now: dt.datetime) -> ColumnElement[str]:
    """The status as searched and shown: ``accepted`` for a failing check with a standing acceptance."""
    return case((and_(_L.c.status == "fail", _accepted(now)), literal("accepted")), else_=_L.c.status)


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _found_by(function: Any) -> ColumnElement[bool]:
    """The finding is among those a definer lookup found through its GIN index (migration 0020).

    Under row-level security the planner may not use an index for an operator that is not leakproof
    (jsonb ``@>``, array ``&&``) ahead of the policy, so it scans; the lookup applies the same scope in
    SQL and returns keys only, joined back here by primary key, where the policy still applies."""
    found = function.table_valued("customer_id", "check_id").alias()
    return tuple_(_L.c.customer_id, _L.c.check_id).in_(select(found.c.customer_id, found.c.check_id))


def _affected(values: tuple[str, ...]) -> ColumnElement[bool]:
    exact = [v.lower() for v in values if "*" not in v]
    patterns = [_like(v.lower()) for v in values if "*" in v]
    options: list[ColumnElement[bool]] = []
    if exact:
        keys = cast(exact, ARRAY(Text))
        options.append(and_(_found_by(func.posture_search_affected(keys)), _L.c.affected_keys.overlap(keys)))
    for pattern in patterns:
        element = func.unnest(_L.c.affected_keys).table_valued("a").alias("a")
        options.append(exists(select(1).select_from(element).where(element.c.a.like(pattern, escape="\\"))))
    return or_(*options)


def _evidence(term: Term) -> ColumnElement[bool]:
    contains = _L.c.evidence.contains(term.evidence_object())
    if not term.negated:
        return and_(_found_by(func.posture_search_evidence(cast(term.evidence_object(), JSONB))), contains)
    # "!=" and "-evidence.": the field is there, with another value (a check without it is not an answer).
    return and_(_L.c.evidence[term.path].is_not(None), not_(contains))


def _condition(term: Term, now: dt.datetime) -> ColumnElement[bool] | None:
    values = term.values
    match term.field:
        case Field.STATUS:
            condition: ColumnElement[bool] = shown_status(now).in_(values)
        case Field.SEVERITY:
            condition = _L.c.severity.in_(values)
        case Field.CUSTOMER:
            condition = or_(*(func.strpos(func.lower(_C.c.name), v.lower()) > 0 for v in values))
        case Field.TAG:
            condition = or_(*(literal(v.lower()) == any_(_C.c.tags) for v in values))
        case Field.TIER:
            condition = func.lower(_C.c.service_tier).in_([v.lower() for v in values])
        case Field.ACCESS:
            condition = cast(_C.c.access_tier, String).in_(values)
        case Field.STATE:
            condition = cast(_C.c.connection_state, String).in_(values)
        case Field.AFFECTED:
            condition = _affected(values)
        case Field.AGE:
            assert term.age is not None
            cutoff = now - term.age
            condition = _L.c.last_seen_at < cutoff if term.older else _L.c.last_seen_at >= cutoff
        case Field.EVIDENCE:
            return _evidence(term)  # negation is part of the comparison
        case _:
            return None  # check terms: resolved against the catalogue
    return not_(condition) if term.negated else condition


def _where(query: str, now: dt.datetime) -> list[ColumnElement[bool]]:
    terms = parse(query)
    conditions = [c for c in (_condition(t, now) for t in terms) if c is not None]
    checks = matching_check_ids(terms)
    if checks is not None:
        conditions.append(_L.c.check_id.in_(sorted(checks)) if checks else false())
    return conditions


def _matches(where: list[ColumnElement[bool]], *columns: Any) -> Select[Any]:
    return select(*columns).select_from(_L.join(_C, _C.c.id == _L.c.customer_id)).where(true(), *where)


# -- reading the answer -----------------------------------------------------------------------------


def _hit(row: Any, *, shown: int | None) -> SearchHit:
    meta = _meta_by_id().get(row.check_id)
    affected = list(row.affected or [])
    return SearchHit(
        check_id=row.check_id, title=meta.title if meta else row.check_id, area=meta.area if meta else "Retired checks",
        status=row.shown, severity=row.severity, reason=row.reason, references=tuple(meta.references) if meta else (),
        evidence=dict(row.evidence or {}),
        affected=tuple(str(a) for a in (affected if shown is None else affected[:shown])),
        affected_count=int(row.affected_count), last_seen_at=row.last_seen_at, status_since=row.status_since)


def _hit_key(hit: SearchHit) -> tuple[int, int, str]:
    return _STATUS_RANK.get(hit.status, 9), _SEVERITY_RANK.get(hit.severity, 9), hit.check_id


def _finding_columns(now: dt.datetime) -> tuple[Any, ...]:
    return (_C.c.id.label("customer_id"), _C.c.name, _C.c.tenant_id, _C.c.connection_state, _C.c.score, _C.c.grade,
            _C.c.tags, _C.c.service_tier, _L.c.check_id, shown_status(now).label("shown"), _L.c.severity,
            _L.c.reason, _L.c.evidence, _L.c.affected, _L.c.affected_count, _L.c.last_seen_at, _L.c.status_since)


def _by_name() -> list[ColumnElement[Any]]:
    return [func.lower(_C.c.name).collate("C"), cast(_C.c.id, String)]


def _group(rows: Iterable[Any], *, shown: int | None) -> list[CustomerHits]:
    grouped: dict[uuid.UUID, tuple[Any, list[SearchHit]]] = {}
    for row in rows:
        grouped.setdefault(row.customer_id, (row, []))[1].append(_hit(row, shown=shown))
    return [CustomerHits(customer_id=first.customer_id, name=first.name, tenant_id=first.tenant_id,
                         connection_state=str(first.connection_state), score=first.score, grade=first.grade,
                         tags=tuple(first.tags or ()), service_tier=first.service_tier,
                         hits=tuple(sorted(hits, key=_hit_key)))
            for first, hits in grouped.values()]


def search(uow: UnitOfWork, query: str, *, now: dt.datetime, page: int = 1, page_size: int = PAGE_SIZE) -> SearchPage:
    """One page of the customers ``query`` matches, with their matching findings (three statements).

    Raises:
        SearchSyntaxError: the query cannot be read.
    """
    connection = uow.session.connection()
    where = _where(query, now)  # read once, for the four statements below
    shown = shown_status(now)
    by_status = dict(connection.execute(
        _matches(where, shown.label("shown"), func.count()).group_by(shown)).all())
    totals = connection.execute(_matches(where, func.count(func.distinct(_L.c.customer_id)),
                                         func.array_agg(func.distinct(_L.c.check_id)))).one()
    total_customers, check_ids = int(totals[0]), tuple(sorted(totals[1] or ()))
    page = max(1, page)
    ids = (_matches(where, _C.c.id).group_by(_C.c.id, _C.c.name).order_by(*_by_name())
           .limit(page_size).offset((page - 1) * page_size))
    page_ids = list(connection.scalars(ids))
    customers: list[CustomerHits] = []
    if page_ids:
        rows = connection.execute(_matches(where, *_finding_columns(now)).where(_C.c.id.in_(page_ids)))
        order = {customer_id: i for i, customer_id in enumerate(page_ids)}
        customers = sorted(_group(rows, shown=AFFECTED_SHOWN), key=lambda c: order[c.customer_id])
    return SearchPage(query=query, customers=tuple(customers), total_customers=total_customers,
                      total_findings=sum(by_status.values()), page=page,
                      pages=max(1, -(-total_customers // page_size)), check_ids=check_ids,
                      by_status={s: by_status[s] for s in _STATUS_RANK if s in by_status})


def search_rows(uow: UnitOfWork, query: str, *, now: dt.datetime, limit: int) -> list[CustomerHits]:
    """Every customer ``query`` matches with all of its matching findings and affected objects (the CSV
    export), up to ``limit`` findings."""
    statement = _matches(_where(query, now), *_finding_columns(now)).order_by(*_by_name(), _L.c.check_id).limit(limit)
    return _group(uow.session.connection().execute(statement), shown=None)


def matching_targets(uow: UnitOfWork, query: str, *, now: dt.datetime) -> dict[uuid.UUID, tuple[str, ...]]:
    """Every matching customer and the checks of its matching findings (what a re-verify re-runs)."""
    rows = uow.session.connection().execute(
        _matches(_where(query, now), _L.c.customer_id, func.array_agg(_L.c.check_id)).group_by(_L.c.customer_id))
    return {customer_id: tuple(sorted(checks)) for customer_id, checks in rows}

