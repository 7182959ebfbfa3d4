"""Customers: connection state rules (more of the customer area comes with onboarding)."""

from portal.services.customers._connection import (
    EXCHANGE_ROLE,
    HARD_FAILURES_TO_DISCONNECT,
    Connection,
    ConnectionOutcome,
    OutcomeKind,
    apply_connection,
    missing_permissions,
    next_connection,
    outcome_of_scan,
)

__all__ = [
    "EXCHANGE_ROLE",
    "HARD_FAILURES_TO_DISCONNECT",
    "Connection",
    "ConnectionOutcome",
    "OutcomeKind",
    "apply_connection",
    "missing_permissions",
    "next_connection",
    "outcome_of_scan",
]
