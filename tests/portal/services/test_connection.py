"""Connection state: the pure rules, the outcome read from a scan, and the state written by recording."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from portal.db.models import ConnectionState, Customer
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.customers import (
    EXCHANGE_ROLE,
    Connection,
    ConnectionOutcome,
    OutcomeKind,
    connection_change,
    missing_permissions,
    next_connection,
    outcome_of_scan,
)
from portal.services.scans import record_scan
from scanner import Status
from tests.portal.services.support import (
    CRITICAL,
    HIGH,
    MEDIUM,
    disconnected_result,
    insert_scan,
    scan_result,
    seeded_customer,
)

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
HARD = ConnectionOutcome(OutcomeKind.HARD_FAILURE, reason="consent_missing: the app was removed")
TRANSIENT = ConnectionOutcome(OutcomeKind.TRANSIENT, reason="throttled")


def test_a_completed_scan_connects_and_resets_hard_failures() -> None:
    before = Connection(ConnectionState.DISCONNECTED, "revoked", ("Policy.Read.All",), hard_failures=3)
    assert next_connection(before, ConnectionOutcome(OutcomeKind.REACHED_OK)) == Connection(ConnectionState.CONNECTED)


def test_missing_permissions_degrade_with_the_list() -> None:
    after = next_connection(Connection(ConnectionState.CONNECTED),
                            ConnectionOutcome(OutcomeKind.REACHED_MISSING, missing=("b", "a", "b")))
    assert (after.state, after.missing_permissions, after.hard_failures) == (ConnectionState.DEGRADED, ("a", "b"), 0)
    assert "a, b" in (after.reason or "")


@pytest.mark.parametrize("state", list(ConnectionState))
def test_a_transient_failure_never_changes_anything(state: ConnectionState) -> None:
    before = Connection(state, "why", ("x",), hard_failures=1)
    assert next_connection(before, TRANSIENT) == before


def test_one_hard_failure_keeps_the_state_and_the_second_disconnects() -> None:
    first = next_connection(Connection(ConnectionState.CONNECTED), HARD)
    assert (first.state, first.hard_failures, first.reason) == (ConnectionState.CONNECTED, 1, HARD.reason)
    second = next_connection(first, HARD)
    assert (second.state, second.hard_failures) == (ConnectionState.DISCONNECTED, 2)


@pytest.mark.parametrize(("connection", "awaits"), [
    (Connection(ConnectionState.CONNECTED), False),
    (Connection(ConnectionState.CONNECTED, "gone", (), hard_failures=1), True),
    (Connection(ConnectionState.DEGRADED, "gone", ("x",), hard_failures=1), True),
    (Connection(ConnectionState.DISCONNECTED, "gone", (), hard_failures=2), False),  # already known
    (Connection(ConnectionState.PENDING_CONSENT, "no app", (), hard_failures=1), False),  # never connected
])
def test_a_first_failure_of_a_reachable_customer_awaits_confirmation(connection: Connection, awaits: bool) -> None:
    assert connection.awaits_confirmation is awaits


@pytest.mark.parametrize(("before", "after", "change"), [
    (ConnectionState.CONNECTED, ConnectionState.DISCONNECTED, "connection.lost"),
    (ConnectionState.DEGRADED, ConnectionState.DISCONNECTED, "connection.lost"),
    (ConnectionState.DISCONNECTED, ConnectionState.CONNECTED, "connection.restored"),
    (ConnectionState.DISCONNECTED, ConnectionState.DEGRADED, "connection.restored"),
    (ConnectionState.DISCONNECTED, ConnectionState.DISCONNECTED, None),
    (ConnectionState.CONNECTED, ConnectionState.DEGRADED, None),
    (ConnectionState.PENDING_CONSENT, ConnectionState.CONNECTED, None),  # onboarding audits its own events
])
def test_only_crossing_into_or_out_of_disconnected_is_an_event(before: ConnectionState, after: ConnectionState,
                                                                change: str | None) -> None:
    assert connection_change(Connection(before), Connection(after)) == change


def test_a_success_between_hard_failures_starts_the_count_again() -> None:
    after = next_connection(next_connection(Connection(ConnectionState.CONNECTED), HARD),
                            ConnectionOutcome(OutcomeKind.REACHED_OK))
    assert next_connection(after, HARD).state is ConnectionState.CONNECTED


def test_a_customer_pending_consent_stays_pending_after_hard_failures() -> None:
    after = next_connection(next_connection(Connection(ConnectionState.PENDING_CONSENT), HARD), HARD)
    assert (after.state, after.hard_failures) == (ConnectionState.PENDING_CONSENT, 2)


def test_a_partial_scan_with_only_transient_errors_keeps_degraded_but_reconnects_disconnected() -> None:
    unsure = ConnectionOutcome(OutcomeKind.REACHED_UNSURE)
    degraded = Connection(ConnectionState.DEGRADED, "missing", ("Policy.Read.All",), hard_failures=1)
    assert next_connection(degraded, unsure) == Connection(ConnectionState.DEGRADED, "missing",
                                                           ("Policy.Read.All",), 0)
    assert next_connection(Connection(ConnectionState.DISCONNECTED, "gone", (), 2), unsure) == \
        Connection(ConnectionState.CONNECTED)


def test_outcome_of_a_scan_reads_permissions_and_the_exchange_role_from_error_reasons() -> None:
    result = scan_result({
        CRITICAL: (Status.ERROR, "insufficient_permission:Policy.Read.All"),
        HIGH: (Status.ERROR, "licences_unknown:insufficient_permission:Organization.Read.All,Directory.Read.All"),
        MEDIUM: (Status.ERROR, "exchange_role_missing"),
    }, started_at=T0)
    assert missing_permissions(result) == (
        "Directory.Read.All", "Organization.Read.All", "Policy.Read.All", EXCHANGE_ROLE)
    assert outcome_of_scan(result).kind is OutcomeKind.REACHED_MISSING
    throttled = scan_result({CRITICAL: (Status.ERROR, "throttled"), HIGH: Status.PASS}, started_at=T0)
    assert outcome_of_scan(throttled) == ConnectionOutcome(OutcomeKind.REACHED_UNSURE)
    assert outcome_of_scan(scan_result({HIGH: Status.FAIL}, started_at=T0)).kind is OutcomeKind.REACHED_OK
    assert outcome_of_scan(disconnected_result(started_at=T0, error="gone")) == ConnectionOutcome(
        OutcomeKind.HARD_FAILURE, reason="gone")


def test_recorded_scans_drive_the_customer_row(app_engine: Engine, owner_engine: Engine) -> None:
    seeded = seeded_customer(owner_engine, state=ConnectionState.CONNECTED)
    scope = Scope.for_customer(seeded.msp_id, seeded.customer_id)

    def record_and_read(result: object) -> Customer:
        scan_id = insert_scan(owner_engine, seeded, status="running")
        with unit_of_work(app_engine, scope) as uow:
            assert record_scan(uow, scan_id, result)  # type: ignore[arg-type]
        with unit_of_work(app_engine, scope) as uow:
            customer = uow.session.get(Customer, seeded.customer_id)
            assert customer is not None
            return customer

    degraded = record_and_read(scan_result({CRITICAL: (Status.ERROR, "insufficient_permission:Policy.Read.All"),
                                            HIGH: Status.PASS}, started_at=T0))
    assert (degraded.connection_state, degraded.missing_permissions) == (ConnectionState.DEGRADED, ["Policy.Read.All"])
    assert degraded.default_domain == "contoso.onmicrosoft.com"
    first = record_and_read(disconnected_result(started_at=T0 + dt.timedelta(hours=1), error="consent revoked"))
    assert (first.connection_state, first.hard_failures, first.connection_reason) == (
        ConnectionState.DEGRADED, 1, "consent revoked")
    second = record_and_read(disconnected_result(started_at=T0 + dt.timedelta(hours=2)))
    assert (second.connection_state, second.hard_failures) == (ConnectionState.DISCONNECTED, 2)
    back = record_and_read(scan_result({CRITICAL: Status.PASS}, started_at=T0 + dt.timedelta(hours=3)))
    assert (back.connection_state, back.hard_failures, back.missing_permissions) == (ConnectionState.CONNECTED, 0, [])
