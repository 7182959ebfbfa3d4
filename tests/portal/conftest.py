"""Seeding for the isolation tests: two MSPs with two customers each, one row per customer-owned table.

Which tables are customer-owned is read from ``information_schema`` (every table with a
``customer_id`` column, CONTRACT.md), never from a list kept here. What a valid row of each looks
like does need a factory per table, in ``ROW_FACTORIES``; ``test_isolation`` fails, naming the
table, when a migration adds a customer-owned table without one, so a new table cannot escape the
isolation tests.

Rows are seeded through the owner's connection, but each MSP's rows inside a transaction scoped to
that MSP (``set_config(..., true)``): row-level security is forced, so an owner that is not a
superuser (production-like servers) is held to the policies too.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from portal.db.engine import sqlalchemy_url
from tests.support.database import server_url, set_scope

Row = dict[str, Any]


@dataclass(frozen=True)
class Refs:
    """What a row refers to: its owners and the parent rows a valid row needs."""

    msp_id: uuid.UUID
    customer_id: uuid.UUID
    scan_id: uuid.UUID
    user_id: uuid.UUID


_serial = itertools.count(1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _customer(r: Refs) -> Row:
    return {"id": r.customer_id, "customer_id": r.customer_id, "msp_id": r.msp_id,
            "name": f"Customer {next(_serial)}", "tenant_id": str(uuid.uuid4())}


def _scan(r: Refs) -> Row:
    return {"id": r.scan_id, "msp_id": r.msp_id, "customer_id": r.customer_id, "trigger": "manual"}


def _membership(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "user_id": r.user_id, "msp_id": r.msp_id, "customer_id": r.customer_id,
            "role": "customer_viewer"}


def _check_result(r: Refs) -> Row:
    return {"scan_id": r.scan_id, "msp_id": r.msp_id, "customer_id": r.customer_id,
            "check_id": "entra.ca.block_legacy_auth", "status": "fail", "severity": "high"}


def _latest_result(r: Refs) -> Row:
    now = _now()
    return {"customer_id": r.customer_id, "check_id": f"seed.check_{next(_serial)}", "msp_id": r.msp_id,
            "scan_id": r.scan_id, "status": "fail", "severity": "high", "first_seen_at": now,
            "status_since": now, "last_seen_at": now}


def _score(r: Refs) -> Row:
    return {"customer_id": r.customer_id, "day": dt.date(2020, 1, 1) + dt.timedelta(days=next(_serial)),
            "msp_id": r.msp_id, "scan_id": r.scan_id, "score": 71.5, "grade": "C", "coverage": 0.9}


def _api_token(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "token_hash": uuid.uuid4().bytes, "user_id": r.user_id, "msp_id": r.msp_id,
            "customer_id": r.customer_id, "name": "seed", "read_write": False,
            "expires_at": _now() + dt.timedelta(days=1)}


def _invitation(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "token_hash": uuid.uuid4().bytes, "msp_id": r.msp_id, "customer_id": r.customer_id,
            "email": f"invitee-{next(_serial)}@example.test", "role": "customer_viewer", "invited_by": "seed",
            "expires_at": _now() + dt.timedelta(days=1)}


def _onboarding_request(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "msp_id": r.msp_id, "customer_id": r.customer_id, "state_hash": uuid.uuid4().bytes,
            "created_by": r.user_id, "created_by_email": "seed@example.test",
            "expires_at": _now() + dt.timedelta(minutes=30)}


def _risk_acceptance(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "msp_id": r.msp_id, "customer_id": r.customer_id,
            "check_id": f"seed.check_{next(_serial)}", "reason": "seeded", "accepted_by": "seed@example.test",
            "expires_at": _now() + dt.timedelta(days=30)}


def _finding_change(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "msp_id": r.msp_id, "customer_id": r.customer_id,
            "check_id": f"seed.check_{next(_serial)}", "scan_id": r.scan_id, "observed_at": _now(),
            "kind": "regressed", "from_status": "pass", "to_status": "fail", "severity": "high"}


def alert_parents(msp_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """The seeded alert channel and rule of an MSP (``_seed_msp`` makes them): alerts point at them."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"channel:{msp_id}"), uuid.uuid5(uuid.NAMESPACE_URL, f"rule:{msp_id}")


def _alert(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "msp_id": r.msp_id, "customer_id": r.customer_id, "rule_id": alert_parents(r.msp_id)[1],
            "condition": "new_critical", "check_id": f"seed.check_{next(_serial)}", "opened_at": _now()}


def _alert_delivery(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "msp_id": r.msp_id, "customer_id": r.customer_id,
            "channel_id": alert_parents(r.msp_id)[0], "event": "test", "created_by": "seed"}


def _branding(r: Refs) -> Row:
    return {"msp_id": r.msp_id, "customer_id": r.customer_id, "display_name": "Seeded brand",
            "primary_colour": "#1f4e79", "accent_colour": "#2e7d32"}


def _report(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "msp_id": r.msp_id, "customer_id": r.customer_id, "scan_id": r.scan_id,
            "kind": "executive", "version": next(_serial) + 1}


def summary_parents(customer_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """The seeded report and summary send of a customer (``_seed_msp`` makes them): deliveries point at them."""
    return (uuid.uuid5(uuid.NAMESPACE_URL, f"summary-report:{customer_id}"),
            uuid.uuid5(uuid.NAMESPACE_URL, f"summary-send:{customer_id}"))


def _seed_summary_parents(connection: Connection, r: Refs) -> None:
    report_id, send_id = summary_parents(r.customer_id)
    insert_row(connection, "reports", {**_report(r), "id": report_id})
    insert_row(connection, "summary_sends", {**_summary_send(r), "id": send_id})


def _summary_setting(r: Refs) -> Row:
    return {"customer_id": r.customer_id, "msp_id": r.msp_id, "cadence": "monthly", "next_due_at": _now()}


def _summary_send(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "msp_id": r.msp_id, "customer_id": r.customer_id,
            "report_id": summary_parents(r.customer_id)[0], "kind": "test"}


def _summary_delivery(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "msp_id": r.msp_id, "customer_id": r.customer_id,
            "send_id": summary_parents(r.customer_id)[1], "address": f"reader{next(_serial)}@example.test"}


def _summary_unsubscribe(r: Refs) -> Row:
    return {"msp_id": r.msp_id, "customer_id": r.customer_id, "address": f"gone{next(_serial)}@example.test"}


def invoice_row(msp_id: uuid.UUID, invoice_id: uuid.UUID, period_start: dt.date) -> Row:
    return {"id": invoice_id, "msp_id": msp_id, "period_start": period_start,
            "period_end": period_start + dt.timedelta(days=28), "currency": "USD", "user_days": 1,
            "average_users": 1, "band_rate": 3, "usage_total": 1, "addons_total": 0, "total": 1, "rate_card": "{}"}


def _invoice_line(r: Refs) -> Row:
    # An invoice of its own MSP's, closed in this transaction (insert_seed_row makes one first).
    return {"invoice_id": uuid.uuid5(uuid.NAMESPACE_URL, f"invoice:{r.customer_id}"), "msp_id": r.msp_id,
            "customer_id": r.customer_id,
            "customer_name": "Seeded", "service_tier": "starter", "days": 1, "user_days": 1, "usage_amount": 1,
            "addon_amount": 0, "amount": 1}


def _billing_change(r: Refs) -> Row:
    return {"msp_id": r.msp_id, "customer_id": r.customer_id, "field": "seat_limit", "old_value": None,
            "new_value": "1", "actor": "seed"}


def change_billing_terms(connection: Connection, customer_id: uuid.UUID) -> None:
    """What writes a ``billing_changes`` row: a change of the customer's terms (a trigger logs it)."""
    connection.execute(text("UPDATE customers SET seat_limit = coalesce(seat_limit, 0) + 1 WHERE id = :c"),
                       {"c": str(customer_id)})


def billing_customer_of(customer_id: uuid.UUID) -> uuid.UUID:
    """The seeded billing customer sharing a customer's tenant (insert_seed_row makes it first)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"billing-customer:{customer_id}")


def _tenant_directory(r: Refs) -> Row:
    return {"customer_id": r.customer_id, "msp_id": r.msp_id, "domains": "[]", "groups": "[]", "scan_id": r.scan_id,
            "refreshed_at": _now()}


def _tenant_selection(r: Refs) -> Row:
    return {"id": uuid.uuid4(), "msp_id": r.msp_id, "customer_id": r.customer_id,
            "billing_customer_id": billing_customer_of(r.customer_id), "kind": "domain",
            "value": f"seed{next(_serial)}.example", "label": "seed"}


def _audit_event(r: Refs) -> Row:
    return {"msp_id": r.msp_id, "customer_id": r.customer_id, "actor": "system:test", "action": "seed"}


#: A valid row owned by ``refs``' customer, per customer-owned table, parents first.
ROW_FACTORIES: dict[str, Callable[[Refs], Row]] = {
    "customers": _customer,
    "scans": _scan,
    "memberships": _membership,
    "check_results": _check_result,
    "latest_results": _latest_result,
    "score_history": _score,
    "audit_events": _audit_event,
    "api_tokens": _api_token,
    "invitations": _invitation,
    "onboarding_requests": _onboarding_request,
    "risk_acceptances": _risk_acceptance,
    "finding_changes": _finding_change,
    "alerts": _alert,
    "alert_deliveries": _alert_delivery,
    "brandings": _branding,
    "reports": _report,
    "summary_settings": _summary_setting,
    "summary_sends": _summary_send,
    "summary_deliveries": _summary_delivery,
    "summary_unsubscribes": _summary_unsubscribe,
    "billing_changes": _billing_change,
    "invoice_lines": _invoice_line,
    "tenant_directories": _tenant_directory,
    "tenant_selections": _tenant_selection,
}

#: Tables where a row may belong to the MSP as a whole (``customer_id`` NULL), with such a row's factory.
MSP_LEVEL_FACTORIES: dict[str, Callable[[Refs], Row]] = {
    "memberships": lambda r: {**_membership(r), "customer_id": None, "role": "msp_admin"},
    "audit_events": lambda r: {**_audit_event(r), "customer_id": None},
    "api_tokens": lambda r: {**_api_token(r), "customer_id": None},
    "invitations": lambda r: {**_invitation(r), "customer_id": None, "role": "msp_analyst"},
    "alert_deliveries": lambda r: {**_alert_delivery(r), "customer_id": None},
    "brandings": lambda r: {**_branding(r), "customer_id": None},
    "reports": lambda r: {**_report(r), "customer_id": None, "scan_id": None, "kind": "fleet"},
}


def insert_seed_row(connection: Connection, table: str, refs: Refs) -> None:
    """The factory's row of ``table`` for ``refs``, with the parents it needs first when seeding a new
    customer in ``ROW_FACTORIES`` order (a summary's rows point at a seeded report and send)."""
    if table == "summary_sends":
        _seed_summary_parents(connection, refs)
    if table == "tenant_selections":  # names a billing customer of that very customer's tenant
        billing_id = billing_customer_of(refs.customer_id)
        connection.execute(text(
            "INSERT INTO customers (id, customer_id, msp_id, name, billing_host_id) VALUES (:b, :b, :m, 'Billing', :c) "
            "ON CONFLICT DO NOTHING"), {"b": str(billing_id), "m": str(refs.msp_id), "c": str(refs.customer_id)})
    if table == "invoice_lines":  # a line only goes in with its invoice, in the transaction that closes it
        line = ROW_FACTORIES[table](refs)
        start = dt.date(2000, 1, 1) + dt.timedelta(days=31 * next(_serial))
        insert_row(connection, "invoices", invoice_row(refs.msp_id, line["invoice_id"], start))
    if table == "billing_changes":  # written by the database only, when the terms change
        change_billing_terms(connection, refs.customer_id)
        return
    insert_row(connection, table, ROW_FACTORIES[table](refs))


def insert_row(connection: Connection, table: str, row: Row) -> None:
    """INSERT one row given as a dict (values bound as parameters)."""
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"),
                       {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in row.items()})


def customer_owned_tables(connection: Connection) -> list[str]:
    """Every table of ours with a ``customer_id`` column, per information_schema."""
    return list(connection.execute(text(
        "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = 'public' AND c.column_name = 'customer_id' AND t.table_type = 'BASE TABLE' "
        "ORDER BY 1")).scalars())


@dataclass(frozen=True)
class Customer:
    msp_id: uuid.UUID
    customer_id: uuid.UUID
    scan_id: uuid.UUID


@dataclass(frozen=True)
class Msp:
    msp_id: uuid.UUID
    customers: tuple[Customer, Customer]


@dataclass(frozen=True)
class Fleet:
    """The seeded world: MSP ``a`` and MSP ``b``, two customers each; ``user_id`` is a user of both."""

    a: Msp
    b: Msp
    user_id: uuid.UUID
    tables: tuple[str, ...]

    def refs(self, customer: Customer) -> Refs:
        return Refs(customer.msp_id, customer.customer_id, customer.scan_id, self.user_id)


def _seed_msp(connection: Connection, tables: list[str], user_id: uuid.UUID) -> Msp:
    msp_id = uuid.uuid4()
    insert_row(connection, "msps", {"id": msp_id, "name": "MSP", "slug": f"msp-{msp_id.hex[:12]}"})
    set_scope(connection, msp_id)
    channel_id, rule_id = alert_parents(msp_id)
    insert_row(connection, "alert_channels", {"id": channel_id, "msp_id": msp_id, "kind": "slack", "name": "seed",
                                              "target_sealed": b"\x00", "target_hint": "seed", "created_by": "seed"})
    insert_row(connection, "alert_rules", {"id": rule_id, "msp_id": msp_id, "condition": "new_critical",
                                           "channel_id": channel_id, "created_by": "seed"})
    customers = (Customer(msp_id, uuid.uuid4(), uuid.uuid4()), Customer(msp_id, uuid.uuid4(), uuid.uuid4()))
    for customer in customers:
        refs = Refs(msp_id, customer.customer_id, customer.scan_id, user_id)
        for table in (t for t in ROW_FACTORIES if t in tables):
            insert_seed_row(connection, table, refs)
    for table, factory in MSP_LEVEL_FACTORIES.items():
        insert_row(connection, table, factory(Refs(msp_id, customers[0].customer_id, customers[0].scan_id, user_id)))
    return Msp(msp_id, customers)


@pytest.fixture(scope="session")
def fleet(owner_engine: Engine) -> Fleet:
    """Two MSPs with two customers each, a row of every customer-owned table per customer (committed)."""
    with owner_engine.begin() as connection:
        tables = customer_owned_tables(connection)
        user_id = uuid.uuid4()
        insert_row(connection, "users", {"id": user_id, "email": f"{user_id.hex}@example.test",
                                         "display_name": "Seeded user"})
    msps = []
    for _ in range(2):
        with owner_engine.begin() as connection:  # one transaction per MSP: one scope each
            msps.append(_seed_msp(connection, tables, user_id))
    return Fleet(msps[0], msps[1], user_id, tuple(tables))


@contextmanager
def new_empty_database() -> Iterator[str]:
    """Owner URL of a new database with nothing migrated; dropped when the block ends."""
    admin = sqlalchemy_url(server_url()).set(database="postgres")
    name = f"posture_test_empty_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        engine.dispose()


@pytest.fixture
def empty_database() -> Iterator[str]:
    """Owner URL of a new database with nothing migrated (dropped afterwards)."""
    with new_empty_database() as url:
        yield url
