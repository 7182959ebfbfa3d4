"""Row-level security holds: the application role, scoped or not, never reaches another tenant's rows.

Every customer-owned table (read from ``information_schema``) is tried, through the real unit of
work, connected as ``posture_app``. Expected counts come from the owner's connection. Writes that are
meant to succeed run in a transaction that is rolled back, so the seeded fleet stays as it was for
every test of the session.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from portal.db.engine import make_engine, role_url
from portal.db.scope import Scope, scope_signature
from portal.db.uow import unit_of_work
from tests.conftest import ROLES
from tests.portal.conftest import (
    MSP_LEVEL_FACTORIES,
    ROW_FACTORIES,
    Fleet,
    Refs,
    change_billing_terms,
    customer_owned_tables,
    insert_row,
    insert_seed_row,
    invoice_row,
)
from tests.support.database import set_scope

APP_ROLE = ROLES.worker

TABLES = sorted(ROW_FACTORIES)
RLS_REFUSED = "new row violates row-level security policy"
#: The seeded customers with tenants (not the billing customers seeded beside them to share one).
_TENANTS = "SELECT count(*) FROM customers WHERE billing_host_id IS NULL"
DENIED = "permission denied"


class _Rollback(Exception):
    """Raised to end a unit of work without committing it."""


@contextmanager
def rolled_back(engine: Engine, scope: Scope) -> Iterator[Session]:
    """A real unit of work whose changes are thrown away at the end."""
    try:
        with unit_of_work(engine, scope) as uow:
            yield uow.session
            raise _Rollback
    except _Rollback:
        pass


def refused(engine: Engine, scope: Scope, sql: str, params: dict[str, Any] | None = None) -> str:
    """Run ``sql`` in a scoped unit of work that must fail; return the database's message."""
    with pytest.raises(DBAPIError) as caught, unit_of_work(engine, scope) as uow:
        uow.session.execute(text(sql), params or {})
    return str(caught.value.orig)


def owner_count(owner_engine: Engine, table: str, msp_id: uuid.UUID, customer_id: uuid.UUID | None = None) -> int:
    """Rows of ``table`` for an MSP (or one of its customers), counted by the owner."""
    with owner_engine.begin() as connection:
        set_scope(connection, msp_id)  # in case the owner is not a superuser: RLS is forced
        where, params = "msp_id = :m", {"m": str(msp_id)}
        if customer_id is not None:
            where, params = where + " AND customer_id = :c", {**params, "c": str(customer_id)}
        return int(connection.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one())


def app_may(rls_engine: Engine, table: str, privilege: str) -> bool:
    with rls_engine.connect() as connection:
        return bool(connection.execute(text("SELECT has_table_privilege(current_user, :t, :p)"),
                                       {"t": table, "p": privilege}).scalar_one())


# --- (a) every customer-owned table is under forced row-level security ----------------------------


def test_every_customer_owned_table_has_a_row_factory(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        tables = customer_owned_tables(connection)

    assert {"customers", "scans", "check_results", "audit_events"} <= set(tables)
    assert set(tables) == set(ROW_FACTORIES), "add the new table to ROW_FACTORIES in tests/portal/conftest.py"


def test_rls_is_enabled_and_forced_with_a_policy_on_every_customer_owned_table(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        tables = customer_owned_tables(connection)
        rows = connection.execute(text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname), "
            "       EXISTS (SELECT FROM information_schema.columns k WHERE k.table_schema = 'public' "
            "               AND k.table_name = c.relname AND k.column_name = 'msp_id') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname = ANY(:tables)"), {"tables": tables}).all()

    assert len(rows) == len(tables) >= 7
    for name, enabled, forced, policies, has_msp_id in rows:
        assert (name, enabled, forced, policies >= 1, has_msp_id) == (name, True, True, True, True)


def test_scope_policies_use_the_form_the_planner_can_estimate(owner_engine: Engine) -> None:
    """Migration 0020: ``(SELECT posture_scope_customers()) IS NULL`` makes the planner think an MSP-wide
    scope sees 1.5 % of the rows (nested loops over customers, searches 20x slower); a new table written
    with the old rule would quietly bring that back."""
    with owner_engine.connect() as connection:
        quals = connection.execute(text(
            "SELECT tablename || '.' || policyname, coalesce(qual, '') || coalesce(with_check, '') FROM pg_policies "
            "WHERE schemaname = 'public' AND (qual LIKE '%posture_scope_customers%' "
            "OR with_check LIKE '%posture_scope_customers%')")).all()
    assert len(quals) >= 14
    slow = [name for name, qual in quals if "AS posture_scope_customers) IS NULL" in qual]
    assert slow == []


# --- (b) the application role ------------------------------------------------------------------------


def test_app_role_is_not_superuser_nor_bypassrls_nor_a_member_of_any_role(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        role = connection.execute(text("SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
                                       "WHERE rolname = :r"), {"r": APP_ROLE}).one()
        memberships = connection.execute(text(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :r"),
            {"r": APP_ROLE}).scalar_one()

    assert tuple(role) == (False, False, False, False)
    assert memberships == 0


def test_app_role_owns_no_table_sequence_or_function(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        owned = connection.execute(text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = :r "
            "UNION ALL SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) = :r"), {"r": APP_ROLE}).scalars().all()
        tables = connection.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one()

    assert owned == []
    assert tables >= 9


def test_app_engine_sessions_run_as_the_app_role(app_engine: Engine, fleet: Fleet) -> None:
    with unit_of_work(app_engine, Scope.for_msp(fleet.a.msp_id)) as uow:
        user = uow.session.execute(text("SELECT current_user, session_user")).one()

    assert tuple(user) == (APP_ROLE, APP_ROLE)


# --- (c) a customer scope ----------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_customer_scope_reads_only_its_own_rows(table: str, rls_engine: Engine, owner_engine: Engine,
                                                fleet: Fleet) -> None:
    mine = fleet.a.customers[0]
    with unit_of_work(rls_engine, Scope.for_customer(mine.msp_id, mine.customer_id)) as uow:
        seen = uow.session.execute(text(f"SELECT msp_id, customer_id FROM {table}")).all()
        others = uow.session.execute(
            text(f"SELECT count(*) FROM {table} WHERE customer_id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": [str(c.customer_id) for c in (fleet.a.customers[1], *fleet.b.customers)]}).scalar_one()

    assert len(seen) == owner_count(owner_engine, table, mine.msp_id, mine.customer_id) >= 1
    assert set(seen) == {(mine.msp_id, mine.customer_id)}
    assert others == 0


@pytest.mark.parametrize("table", TABLES)
def test_customer_scope_cannot_insert_for_another_customer_or_msp(table: str, rls_engine: Engine,
                                                                  fleet: Fleet) -> None:
    mine, neighbour, foreign = fleet.a.customers[0], fleet.a.customers[1], fleet.b.customers[0]
    scope = Scope.for_customer(mine.msp_id, mine.customer_id)
    own_customer_other_msp = Refs(foreign.msp_id, mine.customer_id, mine.scan_id, fleet.user_id)

    for refs in (fleet.refs(neighbour), fleet.refs(foreign), own_customer_other_msp):
        with pytest.raises(DBAPIError, match=RLS_REFUSED), unit_of_work(rls_engine, scope) as uow:
            insert_row(uow.session.connection(), table, ROW_FACTORIES[table](refs))


@pytest.mark.parametrize("table", [t for t in TABLES if t != "customers"])
def test_customer_scope_may_insert_its_own_rows(table: str, rls_engine: Engine, owner_engine: Engine,
                                                fleet: Fleet) -> None:
    mine = fleet.a.customers[0]
    refs = fleet.refs(mine)
    if table == "scans":  # a scan row's id is refs.scan_id: a new scan needs a new one
        refs = replace(refs, scan_id=uuid.uuid4())
    if table == "memberships":  # one membership per user and customer: a new one needs another user
        user_id = uuid.uuid4()
        with owner_engine.begin() as connection:
            insert_row(connection, "users", {"id": user_id, "email": f"{user_id.hex}@example.test",
                                             "display_name": "Another"})
        refs = replace(refs, user_id=user_id)
    with rolled_back(rls_engine, Scope.for_customer(mine.msp_id, mine.customer_id)) as session:
        if table in ("brandings", "summary_settings", "tenant_directories"):  # one per customer: make room
            session.execute(text(f"DELETE FROM {table} WHERE customer_id = :c"), {"c": mine.customer_id})
        before = session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        if table == "billing_changes":  # the database writes it, when the customer's terms change
            change_billing_terms(session.connection(), mine.customer_id)
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == before + 1
            return
        if table == "invoice_lines":  # a line goes only with its invoice, in the transaction closing it
            invoice_id = uuid.uuid4()
            insert_row(session.connection(), "invoices", invoice_row(mine.msp_id, invoice_id, dt.date(1999, 2, 1)))
            insert_row(session.connection(), table, {**ROW_FACTORIES[table](refs), "invoice_id": invoice_id})
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == before + 1
            return
        insert_row(session.connection(), table, ROW_FACTORIES[table](refs))
        assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == before + 1


@pytest.mark.parametrize("table", TABLES)
def test_customer_scope_cannot_update_other_customers_rows(table: str, rls_engine: Engine, owner_engine: Engine,
                                                           fleet: Fleet) -> None:
    mine = fleet.a.customers[0]
    scope = Scope.for_customer(mine.msp_id, mine.customer_id)
    touch = f"UPDATE {table} SET msp_id = msp_id WHERE customer_id = :c"
    if not app_may(rls_engine, table, "UPDATE"):
        assert DENIED in refused(rls_engine, scope, touch, {"c": str(mine.customer_id)})
        return

    with rolled_back(rls_engine, scope) as session:
        for other in (fleet.a.customers[1], *fleet.b.customers):
            assert session.execute(text(touch), {"c": str(other.customer_id)}).rowcount == 0
        own = session.execute(text(touch), {"c": str(mine.customer_id)}).rowcount
    assert own == owner_count(owner_engine, table, mine.msp_id, mine.customer_id) >= 1


@pytest.mark.parametrize("table", TABLES)
def test_customer_scope_cannot_move_its_rows_to_another_customer_or_msp(table: str, rls_engine: Engine,
                                                                        fleet: Fleet) -> None:
    mine, neighbour = fleet.a.customers[0], fleet.a.customers[1]
    scope = Scope.for_customer(mine.msp_id, mine.customer_id)
    expected = RLS_REFUSED if app_may(rls_engine, table, "UPDATE") else DENIED
    moves = [("customer_id", neighbour.customer_id), ("msp_id", fleet.b.msp_id)]
    if table == "customers":  # there customer_id must equal id (a check constraint)
        moves = [("customer_id = :to, id", neighbour.customer_id), ("msp_id", fleet.b.msp_id)]

    for column, target in moves:
        sql = f"UPDATE {table} SET {column} = :to WHERE customer_id = :c"
        assert expected in refused(rls_engine, scope, sql, {"to": str(target), "c": str(mine.customer_id)})


@pytest.mark.parametrize("table", TABLES)
def test_customer_scope_cannot_delete_other_customers_rows(table: str, rls_engine: Engine, owner_engine: Engine,
                                                           fleet: Fleet) -> None:
    mine = fleet.a.customers[0]
    others = (fleet.a.customers[1], *fleet.b.customers)
    before = [owner_count(owner_engine, table, c.msp_id, c.customer_id) for c in others]
    scope = Scope.for_customer(mine.msp_id, mine.customer_id)
    delete = f"DELETE FROM {table} WHERE customer_id = :c"

    if app_may(rls_engine, table, "DELETE"):
        with unit_of_work(rls_engine, scope) as uow:
            deleted = [uow.session.execute(text(delete), {"c": str(c.customer_id)}).rowcount for c in others]
        assert deleted == [0, 0, 0]
    else:
        assert DENIED in refused(rls_engine, scope, delete, {"c": str(others[0].customer_id)})
    assert [owner_count(owner_engine, table, c.msp_id, c.customer_id) for c in others] == before


# --- (d) no scope, no rows ---------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_unscoped_app_session_sees_nothing_and_cannot_insert(table: str, rls_engine: Engine,
                                                             owner_engine: Engine, fleet: Fleet) -> None:
    assert owner_count(owner_engine, table, fleet.a.msp_id) >= 2  # there is something to hide
    with rls_engine.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
        with pytest.raises(DBAPIError, match=RLS_REFUSED):
            insert_row(connection, table, ROW_FACTORIES[table](fleet.refs(fleet.a.customers[0])))
        connection.rollback()


# --- (e) the scope is transaction-local --------------------------------------------------------------


@pytest.fixture
def single_connection_engine(owner_url: str, scope_key: bytes) -> Iterator[Engine]:
    engine = make_engine(role_url(owner_url, ROLES.worker), pool_size=1, scope_key=scope_key)
    yield engine
    engine.dispose()


def test_scope_does_not_leak_into_the_next_transaction_on_the_pooled_connection(
        single_connection_engine: Engine, fleet: Fleet) -> None:
    engine = single_connection_engine
    with unit_of_work(engine, Scope.for_msp(fleet.a.msp_id)) as uow:
        scoped_pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert uow.session.execute(text(_TENANTS)).scalar_one() == 2

    with engine.connect() as connection:
        pid, msp, customers, visible = connection.execute(text(
            "SELECT pg_backend_pid(), current_setting('app.msp_id', true), "
            "current_setting('app.customer_ids', true), (SELECT count(*) FROM customers)")).one()

    assert pid == scoped_pid  # the very connection the scoped transaction used
    assert (msp or "", customers or "", visible) == ("", "", 0)


def _set_signed_session_scope(connection: Connection, msp_id: uuid.UUID, key: bytes) -> None:
    scope = Scope.for_msp(msp_id)
    settings = scope.settings()
    pid = connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
    values = {**settings, "sig": scope_signature(key, settings, pid)}
    connection.execute(text(
        "SELECT set_config('app.msp_id', :msp_id, false), set_config('app.customer_ids', :customer_ids, false), "
        "set_config('app.user_id', :user_id, false), set_config('app.actor', :actor, false), "
        "set_config('app.scope_sig', :sig, false)"), values)


def test_a_session_level_scope_would_leak_within_one_checkout_so_the_leak_test_can_fail(
        single_connection_engine: Engine, scope_key: bytes, fleet: Fleet) -> None:
    with single_connection_engine.connect() as connection:
        _set_signed_session_scope(connection, fleet.a.msp_id, scope_key)
        connection.commit()
        # A later transaction on the same checked-out connection still carries it: only the reset stops it.
        assert connection.execute(text(_TENANTS)).scalar_one() == 2
        connection.rollback()


def test_a_session_level_scope_does_not_survive_the_return_to_the_pool(single_connection_engine: Engine,
                                                                       scope_key: bytes, fleet: Fleet) -> None:
    engine = single_connection_engine
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _set_signed_session_scope(connection, fleet.a.msp_id, scope_key)
        connection.commit()

    with engine.connect() as connection:
        same_pid, visible, msp = connection.execute(text(
            "SELECT pg_backend_pid(), (SELECT count(*) FROM customers), current_setting('app.msp_id', true)")).one()
    assert same_pid == pid
    assert (visible, msp or "") == (0, "")


# --- (f) an MSP-wide scope ---------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_msp_scope_sees_all_its_customers_and_nothing_of_another_msp(table: str, rls_engine: Engine,
                                                                     owner_engine: Engine, fleet: Fleet) -> None:
    with unit_of_work(rls_engine, Scope.for_msp(fleet.a.msp_id)) as uow:
        rows = uow.session.execute(text(f"SELECT msp_id, customer_id FROM {table}")).all()

    assert len(rows) == owner_count(owner_engine, table, fleet.a.msp_id)
    assert {msp for msp, _ in rows} == {fleet.a.msp_id}
    assert {c.customer_id for c in fleet.a.customers} <= {customer for _, customer in rows}
    if table in MSP_LEVEL_FACTORIES:  # rows of the MSP as a whole are visible MSP-wide only
        assert None in {customer for _, customer in rows}


def test_msp_scope_may_insert_a_new_customer_and_its_rows(rls_engine: Engine, fleet: Fleet) -> None:
    refs = Refs(fleet.a.msp_id, uuid.uuid4(), uuid.uuid4(), fleet.user_id)
    with rolled_back(rls_engine, Scope.for_msp(fleet.a.msp_id)) as session:
        for table in ROW_FACTORIES:  # parents first
            insert_seed_row(session.connection(), table, refs)
        assert session.execute(text(_TENANTS)).scalar_one() == 3

    with pytest.raises(DBAPIError, match=RLS_REFUSED), unit_of_work(rls_engine, Scope.for_msp(fleet.a.msp_id)) as uow:
        insert_row(uow.session.connection(), "customers", ROW_FACTORIES["customers"](
            Refs(fleet.b.msp_id, uuid.uuid4(), uuid.uuid4(), fleet.user_id)))


# --- (g) the audit trail is append-only --------------------------------------------------------------


def test_app_role_may_append_and_read_audit_events(rls_engine: Engine, fleet: Fleet) -> None:
    mine = fleet.a.customers[0]
    with rolled_back(rls_engine, Scope.for_customer(mine.msp_id, mine.customer_id)) as session:
        insert_row(session.connection(), "audit_events", {"msp_id": mine.msp_id, "customer_id": mine.customer_id,
                                                          "actor": "analyst@example.test", "action": "scan.start"})
        actions = session.execute(text("SELECT action FROM audit_events ORDER BY id")).scalars().all()
    assert actions[-1] == "scan.start"


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events",
                                       "TRUNCATE audit_events"])
@pytest.mark.parametrize("role", ["web", "worker"])
def test_app_roles_may_not_change_audit_events(statement: str, role: str, app_engine: Engine, web_engine: Engine,
                                               fleet: Fleet) -> None:
    engine = web_engine if role == "web" else app_engine
    assert DENIED in refused(engine, Scope.for_msp(fleet.a.msp_id), statement)


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events",
                                       "TRUNCATE audit_events"])
def test_even_the_owner_may_not_change_audit_events(statement: str, owner_engine: Engine, fleet: Fleet) -> None:
    before = owner_count(owner_engine, "audit_events", fleet.a.msp_id)
    with pytest.raises(DBAPIError, match="append-only"), owner_engine.begin() as connection:
        set_scope(connection, fleet.a.msp_id)
        connection.execute(text(statement))

    assert owner_count(owner_engine, "audit_events", fleet.a.msp_id) == before >= 3


def test_msps_and_users_of_another_msp_are_invisible(web_engine: Engine, fleet: Fleet) -> None:
    with unit_of_work(web_engine, Scope.for_msp(fleet.a.msp_id)) as uow:
        msp_ids = set(uow.session.scalars(text("SELECT id FROM msps")))
        visible_users = set(uow.session.scalars(text("SELECT id FROM users")))
    assert msp_ids == {fleet.a.msp_id}
    assert fleet.user_id in visible_users
    with web_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM msps")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 0


def test_only_the_worker_role_lists_every_msp_id(app_engine: Engine, web_engine: Engine, fleet: Fleet) -> None:
    with app_engine.connect() as connection:
        assert {fleet.a.msp_id, fleet.b.msp_id} <= set(connection.scalars(text("SELECT posture_msp_ids()")))
    with pytest.raises(DBAPIError, match=DENIED), web_engine.connect() as connection:
        connection.execute(text("SELECT posture_msp_ids()"))
