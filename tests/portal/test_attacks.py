"""The attack suite: what one injected query, run as the portal's or a worker's role, can do. Nothing.

Each test is an attack from issue 6 (or one found while fixing them), written as plain SQL on a
connection logged in as the application role, inside a real scoped unit of work where the attacker
would have one, against the migrated test database. Each asserts the database refuses and that
nothing changed. ``test_the_attacks_worked_before_the_hardening`` runs the first ones against a
database at revision 0001 to show the suite catches them. docs/security.md explains each defence.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.customers import probe_connection
from portal.services.errors import NotFound
from portal.services.scans import ScannerEnvironment, run_scan
from scanner import AppCredentials, Endpoints, TokenProvider
from tests.conftest import ROLES
from tests.portal.conftest import Fleet, insert_row, new_empty_database
from tests.support.database import set_scope

DENIED = "permission denied"
FOREIGN_KEY = "violates foreign key constraint"
NOT_SIGNED = "not signed with this database's scope key"
ARGON2 = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def attempt(engine: Engine, scope: Scope | None, sql: str, params: dict[str, Any] | None = None) -> str:
    """Run ``sql`` as an injected statement (in a unit of work of ``scope``, or unscoped); it must fail."""
    with pytest.raises(DBAPIError) as caught:
        if scope is None:
            with engine.begin() as connection:
                connection.execute(text(sql), params or {})
        else:
            with unit_of_work(engine, scope) as uow:
                uow.session.execute(text(sql), params or {})
    return str(caught.value.orig)


def owner_scalar(owner_engine: Engine, sql: str, params: dict[str, Any] | None = None) -> Any:
    with owner_engine.connect() as connection:
        return connection.execute(text(sql), params or {}).scalar()


@pytest.fixture(scope="module")
def b_admin(owner_engine: Engine, fleet: Fleet) -> tuple[uuid.UUID, str]:
    """MSP B's admin: a user with one membership, in MSP B, and a password hash."""
    user_id = uuid.uuid4()
    email = f"admin-{user_id.hex[:8]}@msp-b.example"
    with owner_engine.begin() as connection:
        insert_row(connection, "users", {"id": user_id, "email": email, "display_name": "B admin",
                                         "password_hash": ARGON2})
        set_scope(connection, fleet.b.msp_id)
        insert_row(connection, "memberships", {"id": uuid.uuid4(), "user_id": user_id, "msp_id": fleet.b.msp_id,
                                               "customer_id": None, "role": "msp_admin"})
    return user_id, email


@pytest.fixture(params=["web", "worker"])
def role_engine(request: pytest.FixtureRequest, web_engine: Engine, app_engine: Engine) -> Engine:
    return web_engine if request.param == "web" else app_engine


# --- 1. superuser code through a definer function, by shadowing its tables with temporary objects ---


@pytest.mark.parametrize("statement", [
    "CREATE TEMP VIEW msps AS SELECT gen_random_uuid() AS id",
    "CREATE TEMP TABLE customers (id uuid)",
    "CREATE FUNCTION pg_temp.f() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()'",
    "CREATE VIEW public.shadow AS SELECT 1 AS one",
    "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
])
def test_no_role_may_create_objects_that_shadow_ours(statement: str, role_engine: Engine, fleet: Fleet) -> None:
    assert DENIED in attempt(role_engine, Scope.for_msp(fleet.a.msp_id), statement)


def test_every_definer_function_pins_its_search_path_with_pg_temp_last_and_belongs_to_the_definer(
        owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT n.nspname || '.' || p.proname, p.proconfig, pg_get_userbyid(p.proowner), "
            "       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
            "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.prosecdef AND n.nspname IN ('public', 'dramatiq')")).all()

    assert {name for name, *_ in rows} >= {"public.posture_scope_msp", "public.posture_msp_ids",
                                            "public.posture_create_member", "public.posture_set_password_hash",
                                            "public.posture_set_email"}
    for name, config, owner, migrator_is_superuser in rows:
        path = next(c for c in config or [] if c.startswith("search_path="))
        assert path.split("=", 1)[1].replace(" ", "").split(",")[-1] == "pg_temp", name
        assert path.split("=", 1)[1].startswith("pg_catalog"), name
        if migrator_is_superuser:
            assert owner == ROLES.definer, name


def test_only_workers_may_list_msp_ids(web_engine: Engine) -> None:
    assert DENIED in attempt(web_engine, None, "SELECT public.posture_msp_ids()")


# --- 2. session state outliving a request on a pooled connection -----------------------------------


@pytest.fixture
def one_connection(owner_url: str, scope_key: bytes) -> Iterator[Engine]:
    engine = make_engine(role_url(owner_url, ROLES.web), pool_size=1, scope_key=scope_key)
    yield engine
    engine.dispose()


def test_nothing_of_one_request_reaches_the_next_on_the_same_connection(one_connection: Engine,
                                                                          fleet: Fleet) -> None:
    with unit_of_work(one_connection, Scope.for_msp(fleet.a.msp_id)) as uow:
        pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        uow.session.execute(text("PREPARE stolen AS SELECT id FROM customers"))
        uow.session.execute(text("SELECT set_config('app.msp_id', :m, false)"), {"m": str(fleet.a.msp_id)})
        uow.session.execute(text("SELECT pg_advisory_lock(42)"))
        uow.session.execute(text("LISTEN posture_attack"))

    with one_connection.connect() as connection:
        state = connection.execute(text(
            "SELECT pg_backend_pid(), current_setting('app.msp_id', true), "
            "(SELECT count(*) FROM pg_prepared_statements), (SELECT count(*) FROM pg_locks "
            " WHERE locktype = 'advisory' AND pid = pg_backend_pid()), (SELECT count(*) FROM pg_listening_channels())"
        )).one()

    assert state[0] == pid  # the very connection the first request used
    assert tuple(state[1:]) in (("", 0, 0, 0), (None, 0, 0, 0))


# --- 3. rows that join one MSP to another MSP's customer -------------------------------------------


@pytest.mark.parametrize(("table", "role"), [
    ("scans", "web"), ("audit_events", "web"), ("check_results", "worker"), ("latest_results", "worker"),
    ("score_history", "worker"), ("memberships", "rls"),
])
def test_no_row_may_name_one_msp_and_another_msps_customer(table: str, role: str, web_engine: Engine,
                                                           app_engine: Engine, rls_engine: Engine,
                                                           owner_engine: Engine, fleet: Fleet) -> None:
    engine = {"web": web_engine, "worker": app_engine, "rls": rls_engine}[role]
    mine, theirs = fleet.a.customers[0], fleet.b.customers[0]
    row = {
        "scans": {"id": uuid.uuid4(), "msp_id": mine.msp_id, "customer_id": theirs.customer_id, "trigger": "manual"},
        "audit_events": {"msp_id": mine.msp_id, "customer_id": theirs.customer_id, "action": "forged"},
        "check_results": {"scan_id": mine.scan_id, "msp_id": mine.msp_id, "customer_id": theirs.customer_id,
                          "check_id": "x", "status": "pass", "severity": "high"},
        "latest_results": {"customer_id": theirs.customer_id, "check_id": "entra.ca.block_legacy_auth",
                           "msp_id": mine.msp_id, "scan_id": mine.scan_id, "status": "pass", "severity": "high",
                           "first_seen_at": "2026-01-01", "status_since": "2026-01-01", "last_seen_at": "2099-01-01"},
        "score_history": {"customer_id": theirs.customer_id, "day": "2099-01-01", "msp_id": mine.msp_id,
                          "scan_id": mine.scan_id, "score": 100, "grade": "A", "coverage": 1},
        "memberships": {"id": uuid.uuid4(), "user_id": fleet.user_id, "msp_id": mine.msp_id,
                        "customer_id": theirs.customer_id, "role": "customer_admin"},
    }[table]
    before = owner_scalar(owner_engine, f"SELECT count(*) FROM {table}")
    columns = ", ".join(row)
    values = ", ".join(f":{c}" for c in row)

    message = attempt(engine, Scope.for_msp(mine.msp_id), f"INSERT INTO {table} ({columns}) VALUES ({values})",
                      {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in row.items()})

    assert FOREIGN_KEY in message
    assert owner_scalar(owner_engine, f"SELECT count(*) FROM {table}") == before


def test_a_result_may_not_point_at_another_customers_scan(app_engine: Engine, fleet: Fleet) -> None:
    mine, neighbour = fleet.a.customers[0], fleet.a.customers[1]
    message = attempt(app_engine, Scope.for_msp(mine.msp_id),
                      "INSERT INTO check_results (scan_id, msp_id, customer_id, check_id, status, severity) "
                      "VALUES (:s, :m, :c, 'x', 'pass', 'high')",
                      {"s": str(neighbour.scan_id), "m": str(mine.msp_id), "c": str(mine.customer_id)})
    assert FOREIGN_KEY in message


# --- 4. account takeover across MSPs ------------------------------------------------------------


def test_msp_a_cannot_attach_msp_bs_admin(web_engine: Engine, owner_engine: Engine, fleet: Fleet,
                                          b_admin: tuple[uuid.UUID, str]) -> None:
    user_id, email = b_admin
    scope = Scope.for_msp(fleet.a.msp_id, actor="attacker@msp-a.example")
    assert DENIED in attempt(web_engine, scope, "INSERT INTO memberships (id, user_id, msp_id, role) "
                                                "VALUES (gen_random_uuid(), :u, :m, 'msp_admin')",
                             {"u": str(user_id), "m": str(fleet.a.msp_id)})
    refusal = attempt(web_engine, scope, "SELECT posture_create_member(:e, 'x', 'msp_admin', NULL, NULL)",
                      {"e": email.upper()})
    assert "only an MSP admin" in refusal  # and, were the caller one, the email exists: "invite them"
    assert owner_scalar(owner_engine, "SELECT count(*) FROM memberships WHERE user_id = :u", {"u": user_id}) == 1


@pytest.mark.parametrize("statement", [
    "UPDATE users SET password_hash = :hash WHERE id = :u",
    "UPDATE users SET email = 'attacker@msp-a.example' WHERE id = :u",
    "UPDATE users SET is_platform_operator = true WHERE id = :u",
    "SELECT posture_set_password_hash(:u, :hash)",
    "SELECT posture_set_email(:u, 'attacker@msp-a.example')",
    "SELECT password_hash FROM users WHERE id = :u",
])
def test_no_one_writes_or_reads_another_users_credentials(statement: str, web_engine: Engine, owner_engine: Engine,
                                                          fleet: Fleet, b_admin: tuple[uuid.UUID, str]) -> None:
    user_id, _ = b_admin
    # Even with the victim visible (a user of both MSPs is visible to both): fleet.user_id, and B's admin.
    for victim in (user_id, fleet.user_id):
        scope = Scope(msp_id=fleet.a.msp_id, actor="attacker@msp-a.example", user_id=uuid.uuid4())
        message = attempt(web_engine, scope, statement, {"u": str(victim), "hash": "$argon2id$forged"})
        assert DENIED in message or "only by its own user" in message
    assert owner_scalar(owner_engine, "SELECT password_hash FROM users WHERE id = :u", {"u": user_id}) == ARGON2


def test_a_user_changes_their_own_password_hash_only_through_the_function(web_engine: Engine, owner_engine: Engine,
                                                                          fleet: Fleet) -> None:
    new_user = uuid.uuid4()
    with owner_engine.begin() as connection:
        insert_row(connection, "users", {"id": new_user, "email": f"new-{new_user.hex[:8]}@msp-a.example",
                                         "display_name": "New"})
        set_scope(connection, fleet.a.msp_id)
        insert_row(connection, "memberships", {"id": uuid.uuid4(), "user_id": new_user, "msp_id": fleet.a.msp_id,
                                               "customer_id": None, "role": "msp_analyst"})
    scope = Scope(msp_id=fleet.a.msp_id, actor="new@msp-a.example", user_id=new_user)
    assert "argon2id" in attempt(web_engine, scope, "SELECT posture_set_password_hash(:u, 'plain-text')",
                                 {"u": str(new_user)})
    with unit_of_work(web_engine, scope) as uow:
        uow.session.execute(text("SELECT posture_set_password_hash(:u, :h)"), {"u": str(new_user), "h": ARGON2})
    assert owner_scalar(owner_engine, "SELECT password_hash FROM users WHERE id = :u", {"u": new_user}) == ARGON2


def test_members_are_added_by_an_msp_admin_only(web_engine: Engine, owner_engine: Engine, fleet: Fleet) -> None:
    analyst = uuid.uuid4()
    with owner_engine.begin() as connection:
        insert_row(connection, "users", {"id": analyst, "email": f"an-{analyst.hex[:8]}@msp-a.example",
                                         "display_name": "Analyst"})
        set_scope(connection, fleet.a.msp_id)
        insert_row(connection, "memberships", {"id": uuid.uuid4(), "user_id": analyst, "msp_id": fleet.a.msp_id,
                                               "customer_id": None, "role": "msp_analyst"})
    scope = Scope(msp_id=fleet.a.msp_id, actor="analyst@msp-a.example", user_id=analyst)
    create = "SELECT posture_create_member('boss@x.example', 'B', 'msp_admin', NULL, NULL)"
    assert "only an MSP admin" in attempt(web_engine, scope, create)
    for sql in ("UPDATE memberships SET role = 'msp_admin' WHERE user_id = :u",
                "UPDATE customers SET access_tier = 'manage'", "UPDATE customers SET tenant_id = 'another tenant'"):
        assert DENIED in attempt(web_engine, scope, sql, {"u": str(analyst)})


# --- 5. a self-made platform operator -----------------------------------------------------------


@pytest.mark.parametrize("scoped", [False, True])
def test_no_one_makes_a_platform_operator(scoped: bool, role_engine: Engine, owner_engine: Engine,
                                          fleet: Fleet) -> None:
    scope = Scope.for_msp(fleet.a.msp_id) if scoped else None
    email = f"op-{uuid.uuid4().hex[:8]}@attacker.example"
    message = attempt(role_engine, scope, "INSERT INTO users (id, email, display_name, is_platform_operator) "
                                          "VALUES (gen_random_uuid(), :e, 'Op', true)", {"e": email})
    assert DENIED in message
    assert owner_scalar(owner_engine, f"SELECT count(*) FROM users WHERE email = '{email}'") == 0


# --- 6. the PostgreSQL broker's queue ----------------------------------------------------------


@pytest.fixture
def queue_table(owner_url: str) -> None:
    from config.broker import ensure_broker_schema

    ensure_broker_schema(owner_url, ROLES)


@pytest.mark.parametrize("statement", [
    "SELECT message FROM dramatiq.queue",
    "UPDATE dramatiq.queue SET message = '{}'",
    "DELETE FROM dramatiq.queue",
    "INSERT INTO dramatiq.queue (message_id, queue_name, state, message) VALUES (gen_random_uuid(), 'scans', "
    "'queued', '{}')",
])
def test_the_portal_cannot_read_or_change_the_queue(statement: str, queue_table: None, web_engine: Engine) -> None:
    assert DENIED in attempt(web_engine, None, statement)


def _message(message_id: uuid.UUID, queue: str = "scans") -> str:
    import json

    return json.dumps({"queue_name": queue, "actor_name": "scan_tenant", "args": [], "message_id": str(message_id),
                       "kwargs": {"scan_id": str(uuid.uuid4())}, "options": {}, "message_timestamp": 1})


def test_the_portal_adds_messages_but_cannot_overwrite_one(queue_table: None, web_engine: Engine,
                                                           owner_engine: Engine) -> None:
    message_id = uuid.uuid4()
    sql = "SELECT dramatiq.posture_enqueue('attack-test', :i, CAST(:m AS jsonb))"
    with web_engine.begin() as connection:
        connection.execute(text(sql), {"i": str(message_id), "m": _message(message_id, "attack-test")})
    replacement = _message(message_id, "attack-test").replace("scan_tenant", "forged")
    assert "duplicate key" in attempt(web_engine, None, sql, {"i": str(message_id), "m": replacement})
    stored = owner_scalar(owner_engine, "SELECT message->>'actor_name' FROM dramatiq.queue WHERE message_id = :i",
                          {"i": message_id})
    assert stored == "scan_tenant"


@pytest.mark.parametrize("broken", [
    lambda m: {k: v for k, v in m.items() if k != "message_id"},
    lambda m: {**m, "message_id": str(uuid.uuid4())},
    lambda m: {**m, "queue_name": "schedules"},
    lambda m: {**m, "kwargs": "not an object"},
    lambda m: [m],
])
def test_the_portal_cannot_queue_a_message_that_would_crash_the_consumers(broken: Any, queue_table: None,
                                                                         web_engine: Engine) -> None:
    import json

    message_id = uuid.uuid4()
    body = json.dumps(broken(json.loads(_message(message_id, "attack-test"))))
    assert "not a Dramatiq message" in attempt(
        web_engine, None, "SELECT dramatiq.posture_enqueue('attack-test', :i, CAST(:m AS jsonb))",
        {"i": str(message_id), "m": body})


def _no_microsoft() -> ScannerEnvironment:
    base = "https://127.0.0.1:9"  # never reached: the ids are refused first
    tokens = TokenProvider(AppCredentials(client_id="x", client_secret="y"), Endpoints(base, base, base))
    return ScannerEnvironment(tokens=tokens, graph_url=base, exchange_url=base)


def test_a_forged_scan_message_with_foreign_ids_changes_nothing(app_engine: Engine, owner_engine: Engine,
                                                               fleet: Fleet) -> None:
    mine, theirs = fleet.a.customers[0], fleet.b.customers[0]
    before = owner_scalar(owner_engine, "SELECT status::text || attempts FROM scans WHERE id = :s",
                          {"s": theirs.scan_id})
    for msp_id, customer_id in ((mine.msp_id, mine.customer_id), (theirs.msp_id, mine.customer_id),
                                (mine.msp_id, theirs.customer_id)):
        with pytest.raises(NotFound):
            run_scan(app_engine, theirs.scan_id, msp_id, customer_id, scanner_env=_no_microsoft())
    with pytest.raises(NotFound):
        probe_connection(app_engine, mine.msp_id, theirs.customer_id, scanner_env=_no_microsoft())
    assert owner_scalar(owner_engine, "SELECT status::text || attempts FROM scans WHERE id = :s",
                        {"s": theirs.scan_id}) == before


# --- 7. a scope the caller makes up, or copies from another connection -----------------------------


def test_a_statement_that_sets_its_own_scope_is_refused(role_engine: Engine, fleet: Fleet) -> None:
    scope = Scope.for_msp(fleet.a.msp_id)
    for sql in ("SELECT set_config('app.msp_id', :b, true); SELECT count(*) FROM customers",
                "SELECT count(*) FROM customers WHERE set_config('app.msp_id', :b, true) IS NOT NULL "
                "UNION ALL SELECT count(*) FROM customers"):
        assert NOT_SIGNED in attempt(role_engine, scope, sql, {"b": str(fleet.b.msp_id)})


def test_an_unscoped_session_cannot_borrow_a_scope_taken_from_another_connection(web_engine: Engine,
                                                                               fleet: Fleet) -> None:
    with unit_of_work(web_engine, Scope.for_msp(fleet.b.msp_id)) as victim:
        settings = _settings_in(victim.session.connection())  # as if it had leaked, signature and all
        with web_engine.connect() as attacker:
            attacker.execute(text("SELECT " + ", ".join(f"set_config('{k}', :v{n}, true)"
                                                        for n, k in enumerate(settings))),
                             {f"v{n}": v for n, v in enumerate(settings.values())})
            with pytest.raises(DBAPIError, match=NOT_SIGNED):
                attacker.execute(text("SELECT count(*) FROM customers"))


@pytest.mark.parametrize("statement", [
    "SELECT query FROM pg_stat_activity",
    "SELECT query FROM pg_stat_get_activity(NULL)",
    "SELECT pg_stat_get_backend_activity(1)",
])
def test_no_session_reads_another_sessions_statements(statement: str, role_engine: Engine) -> None:
    # The test databases are migrated by a superuser, as only a superuser can close this (docs/security.md).
    assert DENIED in attempt(role_engine, None, statement)


def _settings_in(connection: Connection) -> dict[str, str]:
    names = ("app.msp_id", "app.customer_ids", "app.user_id", "app.actor", "app.scope_sig")
    values = connection.execute(text("SELECT " + ", ".join(f"current_setting('{n}', true)" for n in names))).one()
    return dict(zip(names, values, strict=True))


# --- 8. the audit trail's who and when ----------------------------------------------------------


@pytest.mark.parametrize("column", ["actor", "created_at"])
def test_the_caller_cannot_choose_who_acted_or_when(column: str, role_engine: Engine, fleet: Fleet) -> None:
    value = "ceo@victim.example" if column == "actor" else "2001-01-01"
    assert DENIED in attempt(role_engine, Scope.for_msp(fleet.a.msp_id),
                             f"INSERT INTO audit_events (msp_id, action, {column}) VALUES (:m, 'forged', :v)",
                             {"m": str(fleet.a.msp_id), "v": value})


def test_the_database_writes_the_actor_from_the_signed_scope(web_engine: Engine, fleet: Fleet) -> None:
    with unit_of_work(web_engine, Scope.for_msp(fleet.a.msp_id, actor="ann@msp-a.example")) as uow:
        actor, fresh = uow.session.execute(text(
            "INSERT INTO audit_events (msp_id, action) VALUES (:m, 'test.stamp') "
            "RETURNING actor, created_at = now()"), {"m": str(fleet.a.msp_id)}).one()
    assert (actor, fresh) == ("ann@msp-a.example", True)


# --- 9. what the portal may write of a scan -----------------------------------------------------


@pytest.mark.parametrize("statement", [
    "INSERT INTO scans (id, msp_id, customer_id, trigger, status, score) VALUES "
    "(gen_random_uuid(), :m, :c, 'manual', 'completed', 100)",
    "UPDATE scans SET status = 'completed', score = 100 WHERE customer_id = :c",
    "INSERT INTO latest_results (customer_id, check_id, msp_id, scan_id, status, severity, first_seen_at, "
    "status_since, last_seen_at) SELECT customer_id, 'x', msp_id, id, 'pass', 'high', now(), now(), now() "
    "FROM scans WHERE customer_id = :c LIMIT 1",
])
def test_the_portal_cannot_fake_a_scans_outcome(statement: str, web_engine: Engine, fleet: Fleet) -> None:
    mine = fleet.a.customers[0]
    assert DENIED in attempt(web_engine, Scope.for_msp(mine.msp_id), statement,
                             {"m": str(mine.msp_id), "c": str(mine.customer_id)})


def test_the_retired_application_role_has_no_rights_here(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        # Revision 0001 made it (cluster-wide), so it is there to be checked.
        assert connection.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = 'posture_app'")).scalar() == 1
        rights = connection.execute(text(
            "SELECT has_database_privilege('posture_app', current_database(), 'CONNECT'), "
            "has_table_privilege('posture_app', 'customers', 'SELECT')")).one()
    assert tuple(rights) == (False, False)


# --- the suite catches what 0001 allowed --------------------------------------------------------


@contextmanager
def _database_at_0001() -> Iterator[tuple[Engine, Engine]]:
    with new_empty_database() as url:
        migrate.upgrade(url, "0001")
        owner = make_engine(url, pool_size=1)
        app = make_engine(role_url(url, "posture_app"), pool_size=1)
        try:
            yield owner, app
        finally:
            app.dispose()
            owner.dispose()


def test_the_attacks_worked_before_the_hardening() -> None:
    with _database_at_0001() as (owner, app):
        a, b, b_customer, b_admin = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        with owner.begin() as connection:
            for msp in (a, b):
                connection.execute(text("INSERT INTO msps (id, name, slug) VALUES (:i, 'M', :s)"),
                                   {"i": msp, "s": msp.hex})
            connection.execute(text("INSERT INTO customers (id, customer_id, msp_id, name, tenant_id) "
                                    "VALUES (:c, :c, :b, 'B1', 't')"), {"c": b_customer, "b": b})
            connection.execute(text("INSERT INTO users (id, email, display_name, password_hash) "
                                    "VALUES (:u, 'admin@b.example', 'B admin', 'h')"), {"u": b_admin})
        with app.begin() as connection:
            connection.execute(text("SELECT set_config('app.msp_id', :a, true), set_config('app.customer_ids', '*', "
                                    "true)"), {"a": str(a)})
            connection.execute(text("CREATE TEMP VIEW msps AS SELECT gen_random_uuid() AS id"))  # attack 1's step
            ids = {"a": str(a), "c": str(b_customer), "u": str(b_admin)}
            connection.execute(text("INSERT INTO scans (id, msp_id, customer_id, trigger) "
                                    "VALUES (gen_random_uuid(), :a, :c, 'manual')"), ids)
            connection.execute(text("INSERT INTO memberships (id, user_id, msp_id, role) "
                                    "VALUES (gen_random_uuid(), :u, :a, 'msp_admin')"), ids)
            taken = connection.execute(text("UPDATE users SET password_hash = 'attacker', is_platform_operator = true "
                                            "WHERE id = :u"), {"u": str(b_admin)}).rowcount
            connection.execute(text("SELECT set_config('app.msp_id', :b, true)"), {"b": str(b)})
            foreign = connection.execute(text("SELECT count(*) FROM customers")).scalar()
        assert (taken, foreign) == (1, 1)


# --- 10. found by review: ambiguous signatures, settings changed mid-statement, the throttle ------------


def test_no_split_of_the_same_text_passes_for_another_scope(web_engine: Engine, scope_key: bytes,
                                                            fleet: Fleet) -> None:
    from portal.db.scope import scope_signature

    mine = fleet.a.customers[0]
    me, victim = uuid.uuid4(), uuid.uuid4()
    with web_engine.connect() as connection:
        pid = connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
        signed = {"msp_id": str(mine.msp_id), "customer_ids": "{" + str(mine.customer_id) + "}",
                  "user_id": str(me), "actor": f"{victim}|x@a.test"}  # an actor a user could once choose
        sig = scope_signature(scope_key, signed, pid)
        shifted = {"msp_id": str(mine.msp_id), "customer_ids": signed["customer_ids"] + f"|{me}",
                   "user_id": str(victim), "actor": "x@a.test"}  # the same text, split elsewhere
        connection.execute(text("SELECT " + ", ".join(f"set_config('app.{k}', :{k}, true)" for k in shifted)
                                + ", set_config('app.scope_sig', :sig, true)"), {**shifted, "sig": sig})
        with pytest.raises(DBAPIError, match=NOT_SIGNED):
            connection.execute(text("SELECT posture_scope_user()"))


def test_changing_the_scope_in_the_middle_of_a_statement_is_refused(web_engine: Engine, fleet: Fleet) -> None:
    mine = fleet.a.customers[0]
    scope = Scope.for_customer(mine.msp_id, mine.customer_id, actor="viewer@a.test")
    widen = ("SELECT g, (SELECT array_agg(c.name::text) FROM customers c WHERE c.id >= (CASE WHEN g = 1 "
             "THEN 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid "
             "ELSE '00000000-0000-0000-0000-000000000000'::uuid END)), "
             "CASE WHEN g = 1 THEN set_config('app.customer_ids', '*', true) END FROM generate_series(1, 2) g")
    assert NOT_SIGNED in attempt(web_engine, scope, widen)
    forge_actor = ("INSERT INTO audit_events (msp_id, customer_id, action, details) SELECT :m, :c, 'probe', "
                   "jsonb_build_object('s', CASE WHEN g = 2 THEN set_config('app.actor', 'admin@a.test', true) END) "
                   "FROM generate_series(1, 2) g")
    assert NOT_SIGNED in attempt(web_engine, scope, forge_actor, {"m": str(mine.msp_id), "c": str(mine.customer_id)})


@pytest.mark.parametrize("sql", [
    "SELECT posture_clear_sign_in_failures(ARRAY['address:203.0.113.9'], 'forged')",
    "SELECT posture_record_sign_in_failure(array_fill('account:admin@b.test|address:192.0.2.1'::text, ARRAY[5]), 'x')",
])
def test_nobody_but_the_portal_counts_or_clears_sign_in_failures(sql: str, web_engine: Engine) -> None:
    assert "only by the portal" in attempt(web_engine, None, sql)


def test_an_email_cannot_collide_with_another_account_or_carry_separators(web_engine: Engine, fleet: Fleet,
                                                                          b_admin: tuple[uuid.UUID, str]) -> None:
    me = uuid.uuid4()
    scope = Scope(msp_id=fleet.a.msp_id, actor="me@a.test", user_id=me)
    _, victim_email = b_admin
    assert "another account" in attempt(web_engine, scope, "SELECT posture_set_email(:u, :e)",
                                        {"u": str(me), "e": victim_email.upper()})
    assert "not an email" in attempt(web_engine, scope, "SELECT posture_set_email(:u, 'a|b@c.d')", {"u": str(me)})
