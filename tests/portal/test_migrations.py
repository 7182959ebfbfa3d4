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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from portal.db import migrate
from portal.db.engine import APP_ROLE, make_engine, sqlalchemy_url
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
    ours = f"a::text LIKE '{APP_ROLE}=%'"
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
    assert {"class:customers", "class:audit_events", "type:scan_status", "function:posture_in_scope",
            "policy:customers_scope", "trigger:audit_events_append_only"} <= at_head
    assert {item.split("=")[0] for item in at_head if "grant:" in item} == {
        f"schema-grant:{APP_ROLE}", f"database-grant:{APP_ROLE}"}

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
def _app_role_password_put_back() -> Iterator[None]:
    """Serialise with other test processes on this server and leave the role's password as found.

    The role is cluster-wide; an advisory lock in the maintenance database (advisory locks are per
    database) keeps two runs from reading each other's password.
    """
    engine = make_engine(sqlalchemy_url(server_url()).set(database="postgres"), pool_size=1)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT pg_advisory_lock(hashtext('posture_app password test'))"))
            previous = connection.execute(text("SELECT quote_nullable(rolpassword) FROM pg_authid "
                                               "WHERE rolname = :r"), {"r": APP_ROLE}).scalar_one_or_none()
            try:
                yield
            finally:
                # previous: a quoted verifier (taken back as it is), NULL, or None when the role is new.
                if previous is not None:
                    connection.execute(text(f"ALTER ROLE {APP_ROLE} PASSWORD {previous}"))
                connection.execute(text("SELECT pg_advisory_unlock(hashtext('posture_app password test'))"))
    finally:
        engine.dispose()


def test_app_password_is_set_on_the_application_role(empty_database: str) -> None:
    password = "s3cret 'quoted' \\ value"
    engine = make_engine(empty_database, pool_size=1)
    try:
        with _app_role_password_put_back():
            migrate.upgrade(empty_database, app_password=password)
            with engine.connect() as connection:  # pg_authid: the owner here is a superuser
                stored = connection.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"),
                                            {"r": APP_ROLE}).scalar_one()
    finally:
        engine.dispose()

    assert stored is not None
    if stored.startswith("md5"):  # a server still on password_encryption = md5
        assert stored == "md5" + hashlib.md5((password + APP_ROLE).encode()).hexdigest()
    else:
        assert _scram_matches(stored, password)
        assert not _scram_matches(stored, password + "x")
