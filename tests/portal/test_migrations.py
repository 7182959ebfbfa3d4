"""Migrations: empty to head, head to base and back, idempotent upgrades, the application password.

Each test gets its own empty database (``empty_database``), so going down to base never disturbs
the session's shared database. "Nothing of ours is left" is checked in the catalogue (pg_class,
pg_type, pg_proc, pg_policy, pg_trigger and the ACLs of the schema and the database), not by
asking Alembic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.roles import DatabaseRoles
from tests.conftest import ROLES
from tests.portal.conftest import customer_owned_tables, new_empty_database
from tests.support.database import server_url

#: What Alembic itself keeps after a downgrade to base: its version table and what comes with it.
ALEMBIC_OBJECTS = {"class:alembic_version", "class:alembic_version_pkc", "type:alembic_version",
                   "type:_alembic_version"}


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(Path(migrate.__file__).parent / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _catalogue(url: str) -> set[str]:
    """Every object in the public schema, every policy and user trigger, and our grants."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return _read_catalogue(connection)
    finally:
        engine.dispose()


def _read_catalogue(connection: Connection) -> set[str]:
    public = "(SELECT oid FROM pg_namespace WHERE nspname = 'public')"
    ours = "(" + " OR ".join(f"a::text LIKE '{role}=%'" for role in ROLES.as_dict().values()) + ")"
    queries = {
        "class": f"SELECT relname FROM pg_class WHERE relnamespace = {public}",
        "type": f"SELECT typname FROM pg_type WHERE typnamespace = {public}",
        "function": f"SELECT proname FROM pg_proc WHERE pronamespace = {public}",
        "policy": "SELECT polname FROM pg_policy",
        "trigger": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
        "schema-grant": f"SELECT a::text FROM pg_namespace, unnest(nspacl) a WHERE nspname = 'public' AND {ours}",
        "database-grant": f"SELECT a::text FROM pg_database, unnest(datacl) a "
                          f"WHERE datname = current_database() AND {ours}",
    }
    found = set()
    for kind, sql in queries.items():
        found |= {f"{kind}:{name}" for name in connection.execute(text(sql)).scalars()}
    return found


def test_upgrade_from_empty_to_head_and_back_to_base_leaves_nothing_of_ours(empty_database: str) -> None:
    before = _catalogue(empty_database)
    assert migrate.current_revision(empty_database) is None

    migrate.upgrade(empty_database)
    at_head = _catalogue(empty_database)
    assert migrate.current_revision(empty_database) == _head()
    assert {"class:customers", "class:audit_events", "type:scan_status", "function:posture_scope_msp",
            "policy:customers_scope", "trigger:audit_events_append_only", "trigger:audit_events_stamp"} <= at_head
    assert {item.split("=")[0] for item in at_head if "grant:" in item} == {
        f"schema-grant:{ROLES.web}", f"schema-grant:{ROLES.worker}", f"schema-grant:{ROLES.definer}",
        f"database-grant:{ROLES.web}", f"database-grant:{ROLES.worker}"}

    migrate.downgrade(empty_database)
    assert migrate.current_revision(empty_database) is None
    assert _catalogue(empty_database) - ALEMBIC_OBJECTS == before


def test_upgrade_again_after_a_downgrade_works(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    first = _catalogue(empty_database)
    migrate.downgrade(empty_database)

    migrate.upgrade(empty_database)

    assert migrate.current_revision(empty_database) == _head()
    assert _catalogue(empty_database) == first
    engine = make_engine(empty_database, pool_size=1)
    try:
        with engine.connect() as connection:
            tables = customer_owned_tables(connection)
            forced = connection.execute(text("SELECT bool_and(relforcerowsecurity) FROM pg_class "
                                             "WHERE relname = ANY(:t)"), {"t": tables}).scalar_one()
    finally:
        engine.dispose()
    assert len(tables) >= 7 and forced


def test_upgrading_a_database_at_head_is_a_no_op(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    at_head = _catalogue(empty_database)

    migrate.upgrade(empty_database)

    assert _catalogue(empty_database) == at_head
    assert migrate.current_revision(empty_database) == _head()


def test_migrations_from_two_threads_at_once_both_succeed() -> None:
    with new_empty_database() as first, new_empty_database() as second, ThreadPoolExecutor(2) as pool:
        list(pool.map(migrate.upgrade, (first, second)))  # re-raises a failed migration

        assert [migrate.current_revision(url) for url in (first, second)] == [_head(), _head()]


def _scram_matches(stored: str, password: str) -> bool:
    """Whether a PostgreSQL SCRAM-SHA-256 verifier was made from ``password`` (RFC 5802, 7677)."""
    method, rest = stored.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return (method == "SCRAM-SHA-256"
            and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
            and base64.b64encode(hmac.new(salted, b"Server Key", hashlib.sha256).digest()).decode() == server_key)


@contextmanager
def _own_roles() -> Iterator[DatabaseRoles]:
    """Roles with a prefix of this test's own (cluster-wide, so dropped at the end)."""
    roles = DatabaseRoles(f"posture_t{uuid.uuid4().hex[:10]}")
    try:
        yield roles
    finally:
        engine = make_engine(server_url(), pool_size=1)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for role in roles.as_dict().values():
                    connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        finally:
            engine.dispose()


def _stored_password(url: str, role: str) -> str | None:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:  # pg_authid: the owner here is a superuser
            return connection.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"),
                                      {"r": role}).scalar_one()
    finally:
        engine.dispose()


def test_passwords_are_set_on_the_login_roles(empty_database: str) -> None:
    password = "s3cret 'quoted' \\ value"
    with _own_roles() as roles:
        migrate.upgrade(empty_database, roles=roles, passwords={"web": password, "worker": password + "w"})
        stored = {role: _stored_password(empty_database, role) for role in (roles.web, roles.worker)}
        migrate.downgrade(empty_database, roles=roles)

    for role, expected in ((roles.web, password), (roles.worker, password + "w")):
        value = stored[role]
        assert value is not None
        if value.startswith("md5"):  # a server still on password_encryption = md5
            assert value == "md5" + hashlib.md5((expected + role).encode()).hexdigest()
        else:
            assert _scram_matches(value, expected)
            assert not _scram_matches(value, expected + "x")


def test_two_databases_on_one_server_keep_their_roles_apart() -> None:
    with new_empty_database() as staging, new_empty_database() as production, _own_roles() as prod_roles, \
            _own_roles() as staging_roles:
        migrate.upgrade(production, roles=prod_roles, passwords={"web": "production-pass"})
        before = _stored_password(production, prod_roles.web)
        migrate.upgrade(staging, roles=staging_roles, passwords={"web": "staging-pass"})
        migrate.upgrade(staging, roles=staging_roles)  # again, and with no password: nothing reset

        assert _stored_password(production, prod_roles.web) == before
        key = migrate.read_scope_key(production)
        engine = make_engine(role_url(production, prod_roles.web, password="production-pass"), pool_size=1,
                             scope_key=key)
        try:
            with engine.connect() as connection:  # production's grants are intact
                assert connection.execute(text("SELECT has_table_privilege('customers', 'SELECT')")).scalar()
        finally:
            engine.dispose()
        for url, roles in ((production, prod_roles), (staging, staging_roles)):
            migrate.downgrade(url, roles=roles)


def test_the_same_roles_in_two_databases_keep_each_databases_grants() -> None:
    with new_empty_database() as first, new_empty_database() as second:
        migrate.upgrade(first)
        migrate.upgrade(second)
        migrate.downgrade(second)  # revokes the shared roles' grants in the second database only
        engine = make_engine(role_url(first, ROLES.web), pool_size=1)
        try:
            with engine.connect() as connection:
                assert connection.execute(text("SELECT has_table_privilege('customers', 'SELECT')")).scalar()
        finally:
            engine.dispose()
