"""Customers: connection state rules and probes (more of the customer area comes with onboarding)."""

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
from portal.services.customers._probe import PROBE_ACTOR, probe_connection

__all__ = [
    "EXCHANGE_ROLE",
    "HARD_FAILURES_TO_DISCONNECT",
    "PROBE_ACTOR",
    "Connection",
    "ConnectionOutcome",
    "OutcomeKind",
    "apply_connection",
    "missing_permissions",
    "next_connection",
    "outcome_of_scan",
    "probe_connection",
]
