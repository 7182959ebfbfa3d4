"""Fixtures shared by the database, worker and end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import dns.resolver
import pytest
from sqlalchemy import Engine, text

import scanner._dns
from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.roles import DatabaseRoles
from tests.support.database import test_database

#: Fixtures defined beside the helpers they drive (the ``receiver`` of alert webhooks).
pytest_plugins = ["tests.support.receiver"]

ROLES = DatabaseRoles()

# No DNS lookup leaves loopback in the tests: processes the tests start inherit "none" (whatever the
# shell says) unless a test points them at the simulator's DNS server, and in-process scans given no
# resolver find no system one.
os.environ["POSTURE_DNS_RESOLVER"] = "none"


def _no_system_resolver() -> dns.resolver.Resolver:
    raise dns.resolver.NoResolverConfiguration("the tests never use the host's resolvers")


scanner._dns._system_resolver = _no_system_resolver  # type: ignore[assignment]


@pytest.fixture(scope="session")
def owner_url() -> Iterator[str]:
    """Owner URL of a fresh database migrated to head (dropped after the session)."""
    with test_database() as url:
        yield url


@pytest.fixture(scope="session")
def owner_engine(owner_url: str) -> Iterator[Engine]:
    engine = make_engine(owner_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def scope_key(owner_url: str) -> bytes:
    """The key ``posture migrate`` stored; application engines sign their scopes with it."""
    return migrate.read_scope_key(owner_url)


@pytest.fixture(scope="session")
def app_engine(owner_url: str, scope_key: bytes) -> Iterator[Engine]:
    """Connected as the worker role (scans, results): row-level security applies to everything it does."""
    engine = make_engine(role_url(owner_url, ROLES.worker), scope_key=scope_key)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def web_engine(owner_url: str, scope_key: bytes) -> Iterator[Engine]:
    """Connected as the web role (the portal): row-level security applies to everything it does."""
    engine = make_engine(role_url(owner_url, ROLES.web), scope_key=scope_key)
    yield engine
    engine.dispose()


#: A login role with every table privilege and nothing else: row-level security is all that holds it.
RLS_PROBE_ROLE = "posture_test_rls"


@pytest.fixture(scope="session")
def rls_engine(owner_url: str, owner_engine: Engine, scope_key: bytes) -> Iterator[Engine]:
    """Connected as a role that may run any DML on every table: what the policies alone allow.

    The web and worker roles have narrower grants (tested on their own); this role shows that
    row-level security holds even where a grant would let a statement through.
    """
    with owner_engine.begin() as connection:
        connection.execute(text(f"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RLS_PROBE_ROLE}') THEN
                CREATE ROLE {RLS_PROBE_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
              END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$"""))
        connection.execute(text(f"DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO {RLS_PROBE_ROLE}', "
                                "current_database()); END $$"))
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {RLS_PROBE_ROLE}"))
        connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON msps, users, customers, memberships, "
                                f"scans, check_results, latest_results, score_history, api_tokens, invitations, "
                                f"onboarding_requests, risk_acceptances, saved_searches, finding_changes, alerts, "
                                f"alert_deliveries, brandings, reports, summary_settings, summary_sends, "
                                f"summary_deliveries, summary_unsubscribes, tenant_directories, tenant_selections "
                                f"TO {RLS_PROBE_ROLE}"))
        connection.execute(text(f"GRANT SELECT, INSERT ON audit_events, invoices, invoice_lines, billing_changes "
                                f"TO {RLS_PROBE_ROLE}"))
        connection.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {RLS_PROBE_ROLE}"))
        connection.execute(text(f"GRANT EXECUTE ON FUNCTION posture_scope_msp(), posture_scope_customers(), "
                                f"posture_scope_user(), posture_scope_is_msp_staff(), posture_scope_is_msp_admin(), "
                                f"posture_scope_may_brand(uuid), posture_scope_may_report(uuid), "
                                f"posture_scope_is_operator() TO {RLS_PROBE_ROLE}"))
    engine = make_engine(role_url(owner_url, RLS_PROBE_ROLE), scope_key=scope_key)
    yield engine
    engine.dispose()
