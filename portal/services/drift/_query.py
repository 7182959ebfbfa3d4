"""Reading the drift log: the fleet's (or one customer's) changes over a period, and a customer's timeline.

Everything reads ``finding_changes`` under the caller's row-level security scope, so an analyst
limited to tags sees those customers' changes only, and a customer user their own tenant's.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import distinct_on

from portal.db.models import ChangeKind, Customer, FindingChange, RiskAcceptance, Scan, ScanStatus
from portal.db.uow import UnitOfWork
from portal.services.drift._classify import net_change
from portal.services.errors import InvalidInput
from scanner import CheckMeta, catalogue

__all__ = ["MAX_CHANGES", "Change", "CheckDrift", "Drift", "Period", "drift", "period_of", "timeline"]

#: Changes read for one answer; beyond this the answer says it is cut short (``Drift.truncated``).
MAX_CHANGES = 5_000
_VERDICTS = (ChangeKind.NEW.value, ChangeKind.REGRESSED.value, ChangeKind.FIXED.value)
_SEVERITY_RANK = {s: i for i, s in enumerate(("critical", "high", "medium", "low", "info"))}
_KIND_RANK = {k: i for i, k in enumerate(("regressed", "new", "fixed", "unreadable"))}


@dataclass(frozen=True)
class Period:
    """What "changed" is measured against: ``last_scan`` (each customer's latest scan), ``week``
    (since Monday 00:00 UTC) or ``since`` (a chosen day, 00:00 UTC)."""

    kind: str
    since: dt.datetime | None

    @property
    def label(self) -> str:
        if self.kind == "last_scan":
            return "in each customer's latest scan"
        assert self.since is not None
        return f"this week (since {self.since:%a %d %b})" if self.kind == "week" else f"since {self.since:%d %b %Y}"


def period_of(kind: str, since: str | dt.date | None, now: dt.datetime) -> Period:
    """The period named by a page's or the API's parameters: a date given wins over ``kind``.

    A date in the future is a fair question with an empty answer; one before the first scan gives
    everything the log holds.

    Raises:
        InvalidInput: an unknown kind, ``since`` without a date, or a date that is not ``YYYY-MM-DD``.
    """
    if isinstance(since, str) and since.strip():
        try:
            since = dt.date.fromisoformat(since.strip())
        except ValueError:
            raise InvalidInput("give the date as YYYY-MM-DD") from None
    if isinstance(since, dt.date):
        return Period("since", dt.datetime.combine(since, dt.time(), dt.UTC))
    if kind in ("", "week"):
        today = now.astimezone(dt.UTC).date()
        monday = today - dt.timedelta(days=today.weekday())
        return Period("week", dt.datetime.combine(monday, dt.time(), dt.UTC))
    if kind == "last_scan":
        return Period("last_scan", None)
    if kind == "since":
        raise InvalidInput("choose the date to compare with")
    raise InvalidInput("period is one of last_scan, week or since (with a date)")


@dataclass(frozen=True)
class Change:
    """One check of one customer that changed: over a period its net change, in a timeline one step."""

    customer_id: uuid.UUID
    customer_name: str
    check_id: str
    title: str
    area: str
    severity: str
    kind: str
    from_status: str | None
    to_status: str
    observed_at: dt.datetime
    scan_id: uuid.UUID
    #: The check is failing and a standing acceptance covers it: visible, marked, not counted as open.
    accepted: bool


@dataclass(frozen=True)
class CheckDrift:
    """One check's changes across the customers in the answer."""

    check_id: str
    title: str
    severity: str
    new: int
    regressed: int
    fixed: int


@dataclass(frozen=True)
class Drift:
    period: Period
    changes: list[Change]
    counts: dict[str, int]
    by_check: list[CheckDrift]
    customers: int
    truncated: bool


@functools.cache
def _metas() -> dict[str, CheckMeta]:
    return {check.id: check.meta for check in catalogue()}


def _base() -> Select:
    return (select(FindingChange, Customer.name)
            .join(Customer, Customer.id == FindingChange.customer_id))


def drift(uow: UnitOfWork, period: Period, *, now: dt.datetime, customer_id: uuid.UUID | None = None) -> Drift:
    """The net new, regressed and fixed findings of every customer in scope (or one) over ``period``.

    Newest first, regressions before new findings before fixes at the same time; ``unreadable``
    steps are the timeline's, not drift.
    """
    query = _base().where(FindingChange.kind.in_(_VERDICTS))
    if customer_id is not None:
        query = query.where(FindingChange.customer_id == customer_id)
    if period.since is not None:
        query = query.where(FindingChange.observed_at >= period.since)
    else:
        latest = (select(Scan.id).where(Scan.status.in_((ScanStatus.COMPLETED, ScanStatus.PARTIAL)))
                  .ext(distinct_on(Scan.customer_id)).order_by(Scan.customer_id, Scan.started_at.desc().nulls_last()))
        if customer_id is not None:
            latest = latest.where(Scan.customer_id == customer_id)
        query = query.where(FindingChange.scan_id.in_(latest))
    query = query.order_by(FindingChange.customer_id, FindingChange.check_id, FindingChange.observed_at,
                           FindingChange.id).limit(MAX_CHANGES + 1)
    rows = list(uow.session.execute(query))
    truncated = len(rows) > MAX_CHANGES
    accepted = _accepted(uow, now, customer_id)
    steps: dict[tuple[uuid.UUID, str], list[tuple[FindingChange, str]]] = {}
    for change, name in rows[:MAX_CHANGES]:
        steps.setdefault((change.customer_id, change.check_id), []).append((change, name))
    changes = []
    for (_, _), run in steps.items():
        first, (last, name) = run[0][0], run[-1]
        kind = net_change(first.from_status, last.to_status)
        if kind is not None:
            changes.append(_change(last, name, kind, first.from_status, accepted))
    changes.sort(key=lambda c: (-c.observed_at.timestamp(), _KIND_RANK[c.kind], _SEVERITY_RANK.get(c.severity, 9),
                                c.customer_name, c.check_id))
    counts = Counter(c.kind for c in changes)
    return Drift(period=period, changes=changes, counts={k: counts.get(k, 0) for k in _VERDICTS},
                 by_check=_by_check(changes), customers=len({c.customer_id for c in changes}), truncated=truncated)


def timeline(uow: UnitOfWork, customer_id: uuid.UUID, *, now: dt.datetime, limit: int = 200) -> list[Change]:
    """Every recorded change of one customer's checks, newest first (``unreadable`` steps included)."""
    query = (_base().where(FindingChange.customer_id == customer_id)
             .order_by(FindingChange.observed_at.desc(), FindingChange.check_id).limit(limit))
    accepted = _accepted(uow, now, customer_id)
    return [_change(change, name, ChangeKind(change.kind), change.from_status, accepted)
            for change, name in uow.session.execute(query)]


def _accepted(uow: UnitOfWork, now: dt.datetime, customer_id: uuid.UUID | None) -> set[tuple[uuid.UUID, str]]:
    query = select(RiskAcceptance.customer_id, RiskAcceptance.check_id).where(
        RiskAcceptance.revoked_at.is_(None), RiskAcceptance.expires_at > now)
    if customer_id is not None:
        query = query.where(RiskAcceptance.customer_id == customer_id)
    return {(c, k) for c, k in uow.session.execute(query)}


def _change(row: FindingChange, name: str, kind: ChangeKind, from_status: str | None,
            accepted: set[tuple[uuid.UUID, str]]) -> Change:
    meta = _metas().get(row.check_id)
    return Change(customer_id=row.customer_id, customer_name=name, check_id=row.check_id,
                  title=meta.title if meta else row.check_id, area=meta.area if meta else "",
                  severity=row.severity, kind=kind.value, from_status=from_status, to_status=row.to_status,
                  observed_at=row.observed_at, scan_id=row.scan_id,
                  accepted=row.to_status == "fail" and (row.customer_id, row.check_id) in accepted)


def _by_check(changes: list[Change]) -> list[CheckDrift]:
    tally: dict[str, Counter[str]] = {}
    first: dict[str, Change] = {}
    for change in changes:
        tally.setdefault(change.check_id, Counter())[change.kind] += 1
        first.setdefault(change.check_id, change)
    rows = [CheckDrift(check_id=k, title=first[k].title, severity=first[k].severity, new=t["new"],
                       regressed=t["regressed"], fixed=t["fixed"]) for k, t in tally.items()]
    rows.sort(key=lambda r: (-(r.regressed + r.new), _SEVERITY_RANK.get(r.severity, 9), r.check_id))
    return rows
