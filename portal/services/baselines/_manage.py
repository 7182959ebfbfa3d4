"""Baselines made, changed and removed by MSP admins; read back for scoring, scanning and alignment.

After a change, every customer of the MSP is rescored by a worker (the web role writes no scores):
:func:`save_baseline` returns the customers to hand to the rescore queue.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from portal.db.models import Baseline, Customer, LatestResult
from portal.db.uow import UnitOfWork
from portal.services.accounts import Action, MembershipView, may
from portal.services.audit import record_event
from portal.services.baselines._rules import BaselineRules, choose, parse_overrides, parse_settings, rules_of
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.plain_text import plain_line, plain_lines
from scanner import catalogue

__all__ = ["Alignment", "BaselineForm", "alignment", "baselines", "customer_rules", "delete_baseline", "rules_for",
           "save_baseline"]


@dataclass(frozen=True)
class BaselineForm:
    """What the baseline form sends, as text."""

    name: str
    description: str = ""
    check_ids: tuple[str, ...] | None = None  # None: every check counts
    overrides: str = ""
    settings: dict[str, str] | None = None
    assign_tags: str = ""
    assign_tiers: str = ""
    is_default: bool = False
    priority: str = "100"


def _require_admin(caller: MembershipView) -> None:
    if not may(caller, Action.MANAGE_CUSTOMERS):
        raise Forbidden("only MSP admins change baselines")


def _words(text: str) -> list[str]:
    return sorted({w.strip().lower() for w in text.replace(";", ",").split(",") if w.strip()})


def baselines(uow: UnitOfWork) -> list[Baseline]:
    """The MSP's live baselines, in the order assignments are tried."""
    return list(uow.session.scalars(select(Baseline).where(Baseline.deleted_at.is_(None))
                                    .order_by(Baseline.priority, Baseline.name)))


def save_baseline(uow: UnitOfWork, caller: MembershipView, form: BaselineForm, *, now: dt.datetime,
                  baseline_id: uuid.UUID | None = None) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Create (or, with ``baseline_id``, replace) a baseline; returns its id and the customers to rescore.

    Raises:
        Forbidden: the caller is not an MSP admin.
        NotFound: no such baseline.
        InvalidInput: a field that cannot be read (the message says which).
        Conflict: another live baseline has the name, or is already the default.
    """
    _require_admin(caller)
    name = plain_line(form.name, "baseline's name", max_length=100)
    description = plain_lines(form.description, "description", max_length=2000)
    tags = _words(plain_line(form.assign_tags, "tags", max_length=1000, required=False))
    tiers = _words(plain_line(form.assign_tiers, "service tiers", max_length=1000, required=False))
    known = {check.id for check in catalogue()}
    if form.check_ids is not None:
        unknown = sorted(set(form.check_ids) - known)
        if unknown:
            raise InvalidInput(f"no check {unknown[0][:80]}")
        if not form.check_ids:
            raise InvalidInput("a baseline counts at least one check")
    try:
        priority = int(form.priority or 100)
    except ValueError:
        raise InvalidInput("the priority is a whole number from 0 to 1000") from None
    if not 0 <= priority <= 1000:
        raise InvalidInput("the priority is a whole number from 0 to 1000")
    values = {
        "name": name, "description": description,
        "check_ids": None if form.check_ids is None or set(form.check_ids) == known else sorted(set(form.check_ids)),
        "severity_overrides": parse_overrides(plain_lines(form.overrides, "severity changes", max_length=20_000)),
        "settings": parse_settings(form.settings or {}), "assign_tags": tags, "assign_tiers": tiers,
        "is_default": form.is_default, "priority": priority,
    }
    try:
        with uow.session.begin_nested():
            if baseline_id is None:
                baseline_id = uuid.uuid4()
                uow.session.execute(insert(Baseline).values(id=baseline_id, msp_id=caller.msp_id,
                                                            created_by=uow.scope.actor or "unknown", **values))
                action = "baseline.created"
            else:
                changed = uow.session.execute(update(Baseline).where(
                    Baseline.id == baseline_id, Baseline.deleted_at.is_(None)).values(updated_at=now, **values))
                if changed.rowcount == 0:  # type: ignore[attr-defined]
                    raise NotFound(f"baseline {baseline_id} not found")
                action = "baseline.changed"
    except IntegrityError:
        raise Conflict("another baseline has this name, or is already the default") from None
    record_event(uow, customer_id=None, action=action, target=f"baseline:{baseline_id}",
                 details={k: v for k, v in values.items() if k != "description"})
    return baseline_id, list(uow.session.scalars(select(Customer.id)))


def delete_baseline(uow: UnitOfWork, caller: MembershipView, baseline_id: uuid.UUID,
                    *, now: dt.datetime) -> list[uuid.UUID]:
    """Remove a baseline (kept, marked deleted, for the audit trail); returns the customers to rescore.

    Raises:
        Forbidden: the caller is not an MSP admin.
        NotFound: no such baseline.
    """
    _require_admin(caller)
    changed = uow.session.execute(update(Baseline).where(Baseline.id == baseline_id, Baseline.deleted_at.is_(None))
                                  .values(deleted_at=now, is_default=False))
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"baseline {baseline_id} not found")
    record_event(uow, customer_id=None, action="baseline.removed", target=f"baseline:{baseline_id}", details={})
    return list(uow.session.scalars(select(Customer.id)))


def rules_for(uow: UnitOfWork, tags: Iterable[str], tier: str | None) -> BaselineRules:
    """The rules of the baseline a customer with these tags and tier is on (a worker's read: its scope
    sees the MSP's baselines)."""
    return rules_of(choose(baselines(uow), tags, tier))


def customer_rules(uow: UnitOfWork, customer: Customer) -> BaselineRules:
    """:func:`rules_for` the customer."""
    return rules_for(uow, customer.tags or (), customer.service_tier)


@dataclass(frozen=True)
class Alignment:
    """How one customer stands against its baseline, from the projection (accepted failures count as
    failing here: alignment is about the standard, not the score)."""

    customer_id: uuid.UUID
    name: str
    baseline_name: str | None
    counted: int  # checks the baseline counts that were evaluated (pass or fail)
    passing: int
    failing: int
    unknown: int  # counted checks that could not be read (error)

    @property
    def aligned(self) -> float | None:
        return None if self.counted == 0 else round(100.0 * self.passing / self.counted, 1)


def alignment(uow: UnitOfWork) -> list[Alignment]:
    """Every customer in scope against the baseline its score was read against, least aligned first."""
    rows = uow.session.execute(
        select(Customer.id, Customer.name, Customer.baseline_name, LatestResult.status)
        .join(LatestResult, LatestResult.customer_id == Customer.id, isouter=True)
        .where((LatestResult.scored_severity.is_not(None)) | (LatestResult.customer_id.is_(None))))
    counts: dict[uuid.UUID, Counter[str]] = {}
    names: dict[uuid.UUID, tuple[str, str | None]] = {}
    for customer_id, name, baseline_name, status in rows:
        names[customer_id] = (name, baseline_name)
        tally = counts.setdefault(customer_id, Counter())
        if status is not None:
            tally[status] += 1
    result = [Alignment(customer_id, name, baseline_name, c["pass"] + c["fail"], c["pass"], c["fail"], c["error"])
              for customer_id, (name, baseline_name) in names.items() for c in (counts[customer_id],)]
    result.sort(key=lambda a: (a.aligned is None, a.aligned or 0.0, a.name.casefold()))
    return result
