"""Accepted risks: a failing check a tenant lives with, for a stated reason, until a stated date.

- :func:`accept_risk` / :func:`revoke_risk`: through the definer functions of migration 0015, which
  check who asks (a customer admin of the tenant, or MSP staff at the Operate tier or above) and
  record who did it from the signed scope; each is in the audit trail.
- :func:`standing_acceptances`: the acceptances in force for a customer, by check;
  :func:`accepted_risks`: those of every customer in scope, soonest to expire first (the AI helpers).
- :func:`rescore`: the score the portal shows, from the projection: an
  accepted failure counts neither for nor against the score (it is out of its failures, not turned
  into a pass), and stays visible as ``accepted``.
- :func:`lapse_expired`: the schedule's pass over acceptances that ran out: rescore, audit, mark.

Decision: the portal's score is computed here from the projection (every check's latest verdict),
not copied from the last scan, so a partial scan (a re-verify of a few checks) and an acceptance
move it the same way. ``scans.score`` stays the scanner's own figure for that scan.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, bindparam, func, select, text, update

from portal.db.models import Customer, LatestResult, RiskAcceptance
from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.audit import record_event
from portal.services.baselines import BaselineRules, customer_rules
from portal.services.errors import InvalidInput, NotFound
from scanner import Severity, Status, catalogue, coverage_of, grade, score_of

__all__ = ["MAX_DAYS", "Acceptance", "AcceptedRisks", "RescoreQueue", "accept_risk", "accepted_risks",
           "lapse_expired", "rescore", "rescore_customer", "revoke_risk", "standing_acceptances"]

#: Longest an acceptance may run: a year, then someone must look again.
MAX_DAYS = 365
_MIN_REASON, _MAX_REASON = 3, 2000


class RescoreQueue(Protocol):
    """Ask a worker to rescore one customer. Called after commit (the portal's role writes no scores)."""

    def __call__(self, *, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None: ...


@dataclass(frozen=True)
class Acceptance:
    id: uuid.UUID
    check_id: str
    reason: str
    expires_at: dt.datetime
    accepted_by: str
    accepted_at: dt.datetime


def _view(row: RiskAcceptance) -> Acceptance:
    return Acceptance(row.id, row.check_id, row.reason, row.expires_at, row.accepted_by, row.accepted_at)


def standing_acceptances(uow: UnitOfWork, customer_id: uuid.UUID, *, now: dt.datetime) -> dict[str, Acceptance]:
    """The customer's acceptances in force at ``now``, by check id."""
    rows = uow.session.scalars(select(RiskAcceptance).where(
        RiskAcceptance.customer_id == customer_id, RiskAcceptance.revoked_at.is_(None),
        RiskAcceptance.expires_at > now))
    return {r.check_id: _view(r) for r in rows}


@dataclass(frozen=True)
class AcceptedRisks:
    """One page of the standing acceptances in scope: (customer id, customer name, acceptance), and how many
    there are in all."""

    items: list[tuple[uuid.UUID, str, Acceptance]]
    total: int


def accepted_risks(uow: UnitOfWork, *, now: dt.datetime, customer_id: uuid.UUID | None = None, limit: int = 25,
                   offset: int = 0) -> AcceptedRisks:
    """The acceptances in force at ``now`` of every customer in the scope (or one), soonest to expire first."""
    standing = [RiskAcceptance.revoked_at.is_(None), RiskAcceptance.expires_at > now]
    if customer_id is not None:
        standing.append(RiskAcceptance.customer_id == customer_id)
    total = uow.session.scalar(select(func.count()).select_from(RiskAcceptance).where(*standing)) or 0
    rows = uow.session.execute(
        select(RiskAcceptance, Customer.name).join(Customer, Customer.id == RiskAcceptance.customer_id)
        .where(*standing).order_by(RiskAcceptance.expires_at, Customer.name, RiskAcceptance.check_id)
        .limit(limit).offset(offset))
    return AcceptedRisks([(r.customer_id, name, _view(r)) for r, name in rows], int(total))


def accept_risk(uow: UnitOfWork, customer_id: uuid.UUID, check_id: str, *, reason: str, expires_on: dt.date,
                now: dt.datetime) -> uuid.UUID:
    """Accept the customer's failing ``check_id`` until the end of ``expires_on`` (UTC), replacing any standing
    acceptance of it.

    Raises:
        InvalidInput: no reason, or an expiry in the past or more than ``MAX_DAYS`` away.
        NotFound: no such customer in scope, or no failing verdict of that check for it.
        DBAPIError (insufficient privilege): the caller may not accept risks for this customer.
    """
    reason = " ".join(reason.replace("\x00", "").split())
    if not _MIN_REASON <= len(reason) <= _MAX_REASON:
        raise InvalidInput(f"say why the risk is accepted ({_MIN_REASON} to {_MAX_REASON} characters)")
    expires_at = dt.datetime.combine(expires_on, dt.time.max, tzinfo=dt.UTC).replace(microsecond=0)
    if expires_at <= now or expires_at > now + dt.timedelta(days=MAX_DAYS):
        raise InvalidInput(f"an acceptance expires after today and within {MAX_DAYS} days")
    finding = uow.session.get(LatestResult, (customer_id, check_id))
    if finding is None or finding.status != Status.FAIL.value:
        raise NotFound(f"no failing finding {check_id} for this customer")
    acceptance_id = uow.session.execute(text("SELECT posture_accept_risk(:c, :k, :r, :e)"), {
        "c": customer_id, "k": check_id, "r": reason, "e": expires_at}).scalar_one()
    record_event(uow, customer_id=customer_id, action="risk.accepted", target=f"check:{check_id}", details={
        "acceptance": str(acceptance_id), "reason": reason, "expires_at": expires_at.isoformat()})
    return uuid.UUID(str(acceptance_id))


def revoke_risk(uow: UnitOfWork, customer_id: uuid.UUID, check_id: str) -> None:
    """End the standing acceptance of ``check_id`` for the customer now.

    Raises:
        NotFound: no standing acceptance of that check for a customer in scope.
        DBAPIError (insufficient privilege): the caller may not change this customer's acceptances.
    """
    standing = uow.session.scalars(select(RiskAcceptance.id).where(
        RiskAcceptance.customer_id == customer_id, RiskAcceptance.check_id == check_id,
        RiskAcceptance.revoked_at.is_(None))).one_or_none()
    revoked = standing is not None and uow.session.execute(
        text("SELECT posture_revoke_risk(:i)"), {"i": standing}).scalar_one()
    if not revoked:
        raise NotFound(f"no standing acceptance of {check_id} for this customer")
    record_event(uow, customer_id=customer_id, action="risk.revoked", target=f"check:{check_id}",
                 details={"acceptance": str(standing)})


def _known_checks() -> frozenset[str]:
    return frozenset(check.id for check in catalogue())


def _apply_baseline(uow: UnitOfWork, customer: Customer, rows: list[Any],
                    rules: BaselineRules | None) -> dict[str, str | None]:
    """Each projection row's severity under the customer's baseline, written where it changed; the
    baseline's name onto the customer. Returns the scored severity by check."""
    if rules is None:
        rules = customer_rules(uow, customer)
    scored = {r.check_id: rules.severity_of(r.check_id, r.severity) for r in rows}
    changed = [{"k": r.check_id, "s": scored[r.check_id]} for r in rows if r.scored_severity != scored[r.check_id]]
    if changed:
        table = LatestResult.__table__
        uow.session.execute(update(table).where(table.c.customer_id == customer.id, table.c.check_id == bindparam("k"))
                            .values(scored_severity=bindparam("s")), changed)
    customer.baseline_id, customer.baseline_name = rules.baseline_id, rules.name
    return scored


def rescore(uow: UnitOfWork, customer: Customer, *, now: dt.datetime, projection: list[Any] | None = None,
            rules: BaselineRules | None = None) -> float | None:
    """Put the effective score and grade (a scored customer only) and the open-failure counts on the
    customer's row, from its projection, its baseline and its acceptances at ``now``; returns the score.

    Checks the baseline leaves out count for nothing (score, coverage, open counts); a severity it
    overrides weighs and counts as the baseline says. An accepted failure is out of the score's
    failures and of the open counts.

    Args:
        projection: the customer's whole projection as it stands in this transaction (rows with
            ``check_id, severity, scored_severity, status, status_since, first_seen_at, last_seen_at``),
            when the caller just read it; default: read here.
        rules: the customer's baseline rules, when the caller just read them; default: read here.
    """
    rows = projection if projection is not None else list(uow.session.execute(
        select(LatestResult.check_id, LatestResult.severity, LatestResult.scored_severity, LatestResult.status,
               LatestResult.status_since, LatestResult.first_seen_at, LatestResult.last_seen_at)
        .where(LatestResult.customer_id == customer.id)))
    severity = _apply_baseline(uow, customer, rows, rules)
    accepted = set(standing_acceptances(uow, customer.id, now=now))
    known = _known_checks()
    counted = [r for r in rows if r.check_id in known and severity[r.check_id] is not None]
    open_failures = [r for r in counted if r.status == Status.FAIL.value and r.check_id not in accepted]
    customer.open_critical = sum(severity[r.check_id] == "critical" for r in open_failures)
    customer.open_high = sum(severity[r.check_id] == "high" for r in open_failures)
    customer.new_failing = sum(r.status_since == r.last_seen_at and r.first_seen_at < r.last_seen_at
                               for r in open_failures)
    if customer.scored_at is None:
        return customer.score
    every = [(Severity(str(severity[r.check_id])), Status(r.status)) for r in counted]
    value = score_of((sev, status) for (sev, status), r in zip(every, counted, strict=True)
                     if not (status is Status.FAIL and r.check_id in accepted))
    # Coverage from the projection too: a partial scan's own coverage is of its few checks. An accepted
    # failure was evaluated, so it counts there.
    customer.score, customer.grade, customer.coverage = value, grade(value), coverage_of(every)
    return value


def rescore_customer(engine: Engine, msp_id: uuid.UUID, customer_id: uuid.UUID, *, actor: str) -> float | None:
    """:func:`rescore` one customer in a unit of work of its own (the worker's ``rescore_customer`` actor,
    after a person accepted or revoked a risk). A customer gone from scope is left alone."""
    with unit_of_work(engine, Scope.for_customer(msp_id, customer_id, actor=actor)) as uow:
        customer = uow.session.get(Customer, customer_id, with_for_update=True)
        if customer is None:
            return None
        return rescore(uow, customer, now=dt.datetime.now(dt.UTC))


def lapse_expired(uow: UnitOfWork, now: dt.datetime) -> list[uuid.UUID]:
    """Acceptances in scope that ran out and were not yet handled: rescore their customers, audit each,
    mark them lapsed. Returns the customers rescored."""
    expired = list(uow.session.scalars(select(RiskAcceptance).where(
        RiskAcceptance.revoked_at.is_(None), RiskAcceptance.lapsed_at.is_(None), RiskAcceptance.expires_at <= now)
        .with_for_update(skip_locked=True)))
    for acceptance in expired:
        acceptance.lapsed_at = now
        record_event(uow, customer_id=acceptance.customer_id, action="risk.expired",
                     target=f"check:{acceptance.check_id}",
                     details={"acceptance": str(acceptance.id), "expires_at": acceptance.expires_at.isoformat()})
    customers = sorted({a.customer_id for a in expired})
    for customer_id in customers:
        customer = uow.session.get(Customer, customer_id, with_for_update=True)
        if customer is not None:
            rescore(uow, customer, now=now)
    return customers
