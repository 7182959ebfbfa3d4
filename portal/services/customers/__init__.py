"""Customers: connection state rules and probes, and the tags that group them."""

from portal.services.customers._connection import (
    EXCHANGE_ROLE,
    HARD_FAILURES_TO_DISCONNECT,
    Connection,
    ConnectionOutcome,
    OutcomeKind,
    apply_connection,
    connection_change,
    missing_permissions,
    next_connection,
    outcome_of_scan,
)
from portal.services.customers._probe import PROBE_ACTOR, probe_connection
from portal.services.customers._tags import MAX_TAG_LENGTH, MAX_TAGS, customer_tags, parse_tags

__all__ = [
    "EXCHANGE_ROLE",
    "HARD_FAILURES_TO_DISCONNECT",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "PROBE_ACTOR",
    "Connection",
    "ConnectionOutcome",
    "OutcomeKind",
    "apply_connection",
    "connection_change",
    "customer_tags",
    "missing_permissions",
    "next_connection",
    "outcome_of_scan",
    "parse_tags",
    "probe_connection",
]
