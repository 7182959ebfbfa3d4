"""Store a finished scan: results, projection, trend, scan row, connection state, audit, in ONE transaction.

A scan is complete or absent: everything below runs in the caller's unit of work, so an error
anywhere (a lost connection, a constraint) rolls all of it back and the scan stays ``running`` for
the retry. Nothing is written row by row, and no scan pays for compiling SQL: the check results, the
changes of verdict and the projection's upsert are statements of fixed text taking every row as one
JSON parameter (``jsonb_populate_recordset``), two round trips for all three; the trend one
``INSERT ... ON CONFLICT DO UPDATE``. Each round trip costs the policies' scope checks again, so the
recording makes as few as it can (issue 14: about a dozen statements for a whole scan).

Idempotency: the scan row and its customer's are locked first, in one statement (``FOR NO KEY
UPDATE``); if the scan is already final (a duplicate delivery finished first) nothing is written and
:func:`record_scan` returns None. Two deliveries of one scan therefore serialise on that lock and
exactly one records.

The projection (``latest_results``) and the trend (``score_history``) stay right when scans of one
customer finish out of order: a row is only replaced by a scan that started at or after the one it
came from (``last_seen_at`` for the projection, the source scan's ``started_at`` for the trend), so
a slow older scan never overwrites a newer one. ``first_seen_at`` is kept from the first insert;
``status_since`` and ``previous_status`` change only when the status does. The observation time of
a scan is when it started reading the tenant (``ScanResult.started_at``).

Decisions:
- The customer's score and its trend point are the portal's effective score, computed from the
  projection just written (``portal.services.risks``: accepted failures left out), not the scan's own
  figure, which stays on the scan row. The projection also keeps each result's evidence and affected
  objects (migration 0015), for cross-tenant search.
- The projection holds the latest result whatever it is, ``error`` included: "we could not read
  this" is the truth, and hiding it behind an older ``pass`` would overstate the posture.
- A disconnected scan has no check results (the scanner's decision) and writes no trend point: it
  says nothing about the tenant's configuration. The last good results stay in place.
- Each change of a check's verdict is logged in ``finding_changes`` (``portal.services.drift``) from
  the projection as it was just before: the same lock on the customer row that orders two scans'
  writes orders their changes, and a scan older than a check's row logs nothing for it. A customer's
  first results log nothing: they are where its history starts (a check added to the catalogue later,
  failing at its first reading, is new).
- Alerts (``portal.services.alerts``) are raised and cleared here, from the changes, the score and the
  connection before and after, so an alert exists exactly when the scan that raised it does.
- Evidence is made plain JSON again here (``scanner.json_safe``), whatever produced it: a NaN, a NUL
  character or a datetime in one check's evidence must not lose the whole scan at the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from sqlalchemy import select, text

from portal.db.models import (
    ConnectionState,
    Customer,
    Scan,
    ScanStatus,
)
from portal.db.uow import UnitOfWork
from portal.services.alerts import ScanOutcome, raise_alerts
from portal.services.audit import record_event
from portal.services.baselines import BaselineRules, customer_rules
from portal.services.billing import record_directory, with_billing_split
from portal.services.customers import Connection, apply_connection, outcome_of_scan
from portal.services.drift import change_of, settle
from portal.services.errors import NotFound
from portal.services.risks import rescore
from portal.services.scans._summary import note_finished
from scanner import ScanResult, grade, json_safe

__all__ = ["record_scan"]


def record_scan(uow: UnitOfWork, scan_id: uuid.UUID, result: ScanResult) -> Connection | None:
    """Record ``result`` as the outcome of scan ``scan_id`` in the caller's transaction.

    Returns:
        The customer's connection afterwards when written; None when the scan was already final
        (nothing is written).

    Raises:
        NotFound: no such scan in the caller's scope.
    """
    locked = _lock(uow, scan_id)
    if locked is None:
        raise NotFound(f"scan {scan_id} not found")
    scan, customer = locked
    if ScanStatus(scan.status).is_final:
        return None
    score_before, state_before = customer.score, ConnectionState(customer.connection_state)
    _finish(scan, result)
    if result.directory is not None:
        record_directory(uow, customer, scan.id, result.directory, result.finished_at)
    scan.environment = with_billing_split(uow, customer.id, scan.environment)
    note_finished(customer, scan)
    changes: list[dict[str, Any]] = []
    if result.checks:
        # The scan's and the customer's rows are written once, after the rescore, not also before.
        with uow.session.no_autoflush:
            rules = customer_rules(uow, customer)
            changes, projection = _write_results(uow, scan, result, rules)
            rescore(uow, customer, now=result.finished_at, projection=projection, rules=rules)
    partial = scan.check_ids is not None  # a re-verify: a few checks, scored with the rest of the projection
    if result.status != "disconnected" and (result.checks or not partial):
        _upsert_score_history(uow, scan, result, score=customer.score if result.checks else result.score,
                              coverage=customer.coverage if result.checks else result.coverage)
    connection = apply_connection(uow, customer, outcome_of_scan(result))
    if not customer.default_domain and result.tenant.default_domain:
        customer.default_domain = result.tenant.default_domain
    record_event(uow, customer_id=customer.id, action=f"scan.{result.status}", target=f"scan:{scan.id}", details={
        "score": result.score, "grade": result.grade, "coverage": result.coverage, "checks": len(result.checks),
        "requests": result.stats.requests, "connection_state": connection.state.value,
    })
    if customer.suspended_at is None:
        raise_alerts(uow, ScanOutcome(
            msp_id=scan.msp_id, customer_id=customer.id, tags=frozenset(customer.tags or ()), scan_id=scan.id,
            score_before=score_before, score_after=customer.score, state_before=state_before,
            state_after=connection.state, changes=[(c["check_id"], c["kind"], c["severity"]) for c in changes],
        ), now=result.finished_at)
    return connection


def _lock(uow: UnitOfWork, scan_id: uuid.UUID) -> tuple[Scan, Customer] | None:
    # One statement locks both rows. NO KEY UPDATE: it blocks a second recorder, not the foreign-key
    # checks of the inserts that point here.
    query = (select(Scan, Customer).join(Customer, Customer.id == Scan.customer_id).where(Scan.id == scan_id)
             .with_for_update(key_share=True))
    row = uow.session.execute(query).one_or_none()
    return None if row is None else (row[0], row[1])


def _finish(scan: Scan, result: ScanResult) -> None:
    scan.status = ScanStatus(result.status)
    scan.partial = result.status == "partial"
    scan.failure_reason = result.error if result.status == "disconnected" else None
    scan.score = result.score
    scan.grade = result.grade
    scan.coverage = result.coverage
    scan.request_count = result.stats.requests
    scan.duration_s = result.stats.duration_s
    scan.started_at = result.started_at
    scan.finished_at = result.finished_at
    scan.environment = result.environment or None


def _unique_checks(result: ScanResult) -> list[Any]:
    # One row per check id: ON CONFLICT cannot touch a row twice in one statement.
    return list({check.id: check for check in result.checks}.values())


def _plain_json(result: ScanResult) -> list[tuple[Any, list[Any]]]:
    """Each check's evidence and affected objects as plain JSON (``scanner.json_safe``), once for both tables."""
    return [(json_safe(check.evidence), json_safe(list(check.affected))) for check in result.checks]


def _write_results(uow: UnitOfWork, scan: Scan, result: ScanResult,
                   rules: BaselineRules) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """Write the scan's check results, its changes of verdict and the projection, in two statements;
    returns the changes logged (``finding_changes`` rows) and the customer's whole projection as it is
    now, for the rescore (None when this scan wrote none of it)."""
    safe = _plain_json(result)
    results = [
        {"scan_id": scan.id, "msp_id": scan.msp_id, "customer_id": scan.customer_id, "check_id": check.id,
         "status": check.status.value, "severity": check.meta.severity.value, "reason": check.reason,
         "evidence": evidence, "affected": affected}
        for check, (evidence, affected) in zip(result.checks, safe, strict=True)
    ]
    before = {row.check_id: row for row in uow.session.execute(
        _INSERT_CHECK_RESULTS_READ_PROJECTION, {"rows": _encode(results), "customer_id": scan.customer_id})}
    rows, changes = _projection_rows(scan, result, safe, before, rules)
    if not rows:
        return changes, None
    projection = uow.session.execute(_UPSERT_LATEST_LOG_CHANGES, {
        "rows": _encode(rows), "changes": _encode(changes), "customer_id": scan.customer_id}).all()
    return changes, projection


def _projection_rows(scan: Scan, result: ScanResult, safe: list[tuple[Any, list[Any]]], before: dict[str, Any],
                     rules: BaselineRules) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The projection's rows this scan writes and the changes of verdict they make, from the customer's
    whole projection as it was (``before``); each row's scored severity is its baseline's."""
    seen = result.started_at
    plain = {check.id: pair for check, pair in zip(result.checks, safe, strict=True)}
    # The customer's first results are where its history starts, not a change: an onboarding would
    # otherwise fill "what changed" (and the alerts) with every failure the tenant already had.
    starting_point = not before
    rows, changes = [], []
    for check in _unique_checks(result):
        evidence, affected = plain[check.id]
        old = before.get(check.id)
        if old is not None and old.last_seen_at > seen:
            continue  # a newer scan already wrote this check: this older one changes nothing
        settled, previous = (old.settled_status, old.status) if old is not None else (None, None)
        kind = None if starting_point else change_of(settled, previous, check.status.value)
        if kind is not None:
            changes.append({"msp_id": scan.msp_id, "customer_id": scan.customer_id, "check_id": check.id,
                            "scan_id": scan.id, "observed_at": seen, "kind": kind.value, "from_status": settled,
                            "to_status": check.status.value, "severity": check.meta.severity.value})
        rows.append({
            "customer_id": scan.customer_id, "check_id": check.id, "msp_id": scan.msp_id, "scan_id": scan.id,
            "status": check.status.value, "previous_status": None, "severity": check.meta.severity.value,
            "scored_severity": rules.severity_of(check.id, check.meta.severity.value),
            "reason": check.reason, "affected_count": len(check.affected), "first_seen_at": seen,
            "status_since": seen, "last_seen_at": seen, "evidence": evidence,
            "affected": affected, "affected_keys": sorted({str(a).lower() for a in affected}),
            "settled_status": settle(settled, check.status.value)})
    return rows, changes


def _encode(rows: list[dict[str, Any]]) -> str:
    # msgspec writes UUIDs and datetimes (RFC 3339, which jsonb_populate_recordset reads) ten times
    # faster than json.dumps; the rows' evidence is already plain JSON.
    return _ROWS_ENCODER.encode(rows).decode()


_ROWS_ENCODER = msgspec.json.Encoder()
_PROJECTION_COLUMNS = ("customer_id, check_id, msp_id, scan_id, status, previous_status, severity, scored_severity, "
                       "reason, affected_count, first_seen_at, status_since, last_seen_at, evidence, affected, "
                       "affected_keys, settled_status")
_CHANGE_COLUMNS = "msp_id, customer_id, check_id, scan_id, observed_at, kind, from_status, to_status, severity"
#: Each statement takes every row as one JSON parameter, so its text never changes (no compiling per
#: scan) and it runs once, not once per row (psycopg2 runs an upsert's executemany row by row). Two
#: round trips for the lot: a data-modifying WITH runs exactly once whether or not the rest reads it.
#:
#: First the scan's check results go in, and the customer's projection comes back as it was (the
#: SELECT sees the statement's starting snapshot, and check_results is another table anyway).
_INSERT_CHECK_RESULTS_READ_PROJECTION = text("""
    WITH inserted AS (
      INSERT INTO public.check_results (scan_id, msp_id, customer_id, check_id, status, severity, reason, evidence,
                                        affected)
      SELECT scan_id, msp_id, customer_id, check_id, status, severity, reason, evidence, affected
      FROM jsonb_populate_recordset(NULL::public.check_results, CAST(:rows AS jsonb))
    )
    SELECT check_id, status, settled_status, last_seen_at FROM public.latest_results WHERE customer_id = :customer_id
""")
#: Then the changes of verdict are logged (their ids are the table's default) and the projection is
#: upserted. SET expressions read the row as it was, so the CASEs compare against the old status; a row
#: is only replaced by a scan that started at or after the one it came from. The statement returns the
#: customer's whole projection as it is afterwards, for the rescore: the rows written (RETURNING) and
#: the others as the statement's snapshot has them (they did not change), so no third round trip.
_SCORED_COLUMNS = "check_id, severity, scored_severity, status, status_since, first_seen_at, last_seen_at"
_UPSERT_LATEST_LOG_CHANGES = text(f"""
    WITH changes AS (
      INSERT INTO public.finding_changes ({_CHANGE_COLUMNS})
      SELECT {_CHANGE_COLUMNS} FROM jsonb_populate_recordset(NULL::public.finding_changes, CAST(:changes AS jsonb))
    ), written AS (
    INSERT INTO public.latest_results AS l ({_PROJECTION_COLUMNS})
    SELECT {_PROJECTION_COLUMNS} FROM jsonb_populate_recordset(NULL::public.latest_results, CAST(:rows AS jsonb))
    ON CONFLICT (customer_id, check_id) DO UPDATE SET
      scan_id = excluded.scan_id, status = excluded.status,
      previous_status = CASE WHEN l.status IS DISTINCT FROM excluded.status THEN l.status ELSE l.previous_status END,
      status_since = CASE WHEN l.status IS DISTINCT FROM excluded.status THEN excluded.status_since
                     ELSE l.status_since END,
      severity = excluded.severity, reason = excluded.reason, affected_count = excluded.affected_count,
      last_seen_at = excluded.last_seen_at, evidence = excluded.evidence, affected = excluded.affected,
      affected_keys = excluded.affected_keys, settled_status = excluded.settled_status
    WHERE l.last_seen_at <= excluded.last_seen_at
    RETURNING {_SCORED_COLUMNS}
    )
    SELECT {_SCORED_COLUMNS} FROM written
    UNION ALL
    SELECT {_SCORED_COLUMNS} FROM public.latest_results
    WHERE customer_id = :customer_id AND check_id NOT IN (SELECT check_id FROM written)
""")


def _upsert_score_history(uow: UnitOfWork, scan: Scan, result: ScanResult, *, score: float | None,
                          coverage: float | None) -> None:
    uow.session.execute(_UPSERT_SCORE_HISTORY, {
        "customer_id": scan.customer_id, "day": result.started_at.astimezone(dt.UTC).date(), "msp_id": scan.msp_id,
        "scan_id": scan.id, "score": score, "grade": grade(score),
        "coverage": result.coverage if coverage is None else coverage, "started": result.started_at,
    })


#: The day's trend point. The existing row is replaced unless it came from a scan that started later
#: (the subquery is correlated to the conflicting row, which SQLAlchemy's ON CONFLICT ... WHERE does
#: not do). Fixed text, like the statements above: nothing to build or compile per scan.
_UPSERT_SCORE_HISTORY = text("""
    INSERT INTO public.score_history AS h (customer_id, day, msp_id, scan_id, score, grade, coverage)
    VALUES (:customer_id, :day, :msp_id, :scan_id, :score, :grade, :coverage)
    ON CONFLICT (customer_id, day) DO UPDATE SET
      scan_id = excluded.scan_id, score = excluded.score, grade = excluded.grade, coverage = excluded.coverage
    WHERE NOT EXISTS (SELECT FROM public.scans s WHERE s.id = h.scan_id AND s.started_at > :started)
""")
