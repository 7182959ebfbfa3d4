"""Managed users, read from the scans: today's per customer (seats) and each day's of a period (invoices).

A customer's managed users are the enabled member users with a licence (``licensed`` in the scan's
environment, ``scanner._environment``) of its latest scan that finished, completed or partial, with
that figure read. A scan that could not read the users leaves the count where the previous one put it.

A shared tenant's scans carry ``billing_split`` (``_shared``): the host's count and each billing
customer's come from there, a billing customer's from its host's scans; a scan whose split is unknown
(null) leaves the counts where the previous one put them, as one that could not read the users. A share
whose billing customer is not in service that day (removed since the scan, or gone) counts for the
host: no licensed user is ever billed to nobody.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from sqlalchemy import text

from portal.db.uow import UnitOfWork
from portal.services.billing._money import CustomerUsage, Period

__all__ = ["daily_usage", "latest_managed_users"]

def _users_as_of(as_of: str) -> str:
    """SQL: the managed users of customer ``c`` as of the instant ``as_of`` (NULL: never read yet)."""
    # What ``c`` has of a scan: all its licensed users; a billing customer its share; a host its share and
    # the shares of billing customers not in service that day.
    figure = f"""CASE WHEN coalesce(jsonb_typeof(s.environment -> 'billing_split'), 'absent') <> 'object'
                   THEN CASE WHEN c.billing_host_id IS NULL THEN (s.environment ->> 'licensed')::bigint ELSE 0 END
                 WHEN c.billing_host_id IS NOT NULL
                   THEN coalesce((s.environment -> 'billing_split' ->> c.id::text)::bigint, 0)
                 ELSE (SELECT coalesce(sum(e.value::bigint), 0)
                         FROM jsonb_each_text(s.environment -> 'billing_split') e
                        WHERE e.key = c.id::text OR NOT EXISTS (
                              SELECT FROM customers b WHERE e.key = b.id::text AND b.billing_host_id = c.id
                                 AND b.created_at < {as_of} AND (b.removed_at IS NULL OR b.removed_at >= {as_of})))
            END"""

    def latest(owner: str) -> str:  # the latest scan of ``owner`` that read the users
        return f"""(SELECT {figure} FROM scans s
                     WHERE s.msp_id = c.msp_id AND s.customer_id = {owner}
                       AND s.status IN ('completed', 'partial') AND s.finished_at IS NOT NULL
                       AND s.finished_at < {as_of} AND jsonb_typeof(s.environment -> 'licensed') = 'number'
                       AND coalesce(jsonb_typeof(s.environment -> 'billing_split'), 'absent') <> 'null'
                     ORDER BY s.finished_at DESC LIMIT 1)"""

    # Two subqueries, not one on coalesce(c.billing_host_id, c.id): under row-level security the planner
    # probes the scans' index for a plain column only (11 ms instead of 7 s for 1,000 customers).
    return f"(CASE WHEN c.billing_host_id IS NULL THEN {latest('c.id')} ELSE {latest('c.billing_host_id')} END)"


def _no_jit(uow: UnitOfWork) -> None:
    # Thousands of index probes look costly to the planner, which then compiles them (JIT): 1.5 s of
    # compiling for 17 ms of work at 1,000 customers (bench.billing). For this transaction only.
    uow.session.execute(text("SET LOCAL jit = off"))


def latest_managed_users(uow: UnitOfWork) -> dict[uuid.UUID, int | None]:
    """Each customer in scope's managed users from its latest scan (None: not read yet)."""
    _no_jit(uow)
    rows = uow.session.execute(text(
        f"SELECT c.id, {_users_as_of('now()')} AS users FROM customers c"))
    return {row.id: row.users for row in rows}


def daily_usage(uow: UnitOfWork, period: Period, through: dt.date) -> list[CustomerUsage]:
    """Every customer in scope billed on some day of ``period`` before ``through``, with its managed
    users on each such day (``_money.billable_days``: from the day it was added to the day it was removed,
    exclusive)."""
    days = (min(through, period.end) - period.start).days
    if days <= 0:
        return []
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=dt.UTC)
    _no_jit(uow)
    rows = uow.session.execute(text(f"""
        SELECT c.id, c.name, c.service_tier, d.day_start,
               coalesce({_users_as_of("d.day_start + interval '24 hours'")}, 0) AS users
          FROM customers c
          CROSS JOIN LATERAL (SELECT CAST(:start AS timestamptz) + k * interval '24 hours' AS day_start
                                FROM generate_series(0, :days - 1) AS k) d
         WHERE c.created_at < d.day_start + interval '24 hours'
           AND (c.removed_at IS NULL OR c.removed_at >= d.day_start + interval '24 hours')
         ORDER BY c.name, c.id, d.day_start"""), {"start": start, "days": days})
    found: dict[uuid.UUID, tuple[str, str]] = {}
    by_day: dict[uuid.UUID, dict[dt.date, int]] = defaultdict(dict)
    for row in rows:
        found[row.id] = (row.name, row.service_tier)
        by_day[row.id][row.day_start.astimezone(dt.UTC).date()] = int(row.users)
    return [CustomerUsage(customer_id, name, tier, by_day[customer_id]) for customer_id, (name, tier) in found.items()]
