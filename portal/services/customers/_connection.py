"""A customer's connection state, driven by scan and probe outcomes.

States (``portal.db.models.ConnectionState``): ``pending_consent``, ``connected``, ``degraded``
(reachable, but permissions or the Exchange directory role are missing: ``missing_permissions``
says which), ``disconnected`` (consent revoked, app disabled, tenant gone).

Rules, as a pure function (:func:`next_connection`) so each one is tested on its own:

- ``REACHED_OK`` (a completed scan): ``connected``; hard failures reset; nothing missing.
- ``REACHED_MISSING`` (a partial scan with permission errors): ``degraded`` with the sorted list.
- ``REACHED_UNSURE`` (a partial scan whose errors are all transient or malformed data): the tenant
  answered, so consent works: hard failures reset, ``pending_consent``/``disconnected`` become
  ``connected``; ``connected``/``degraded`` stay as they are, because a throttled read says nothing
  about whether a missing permission came back.
- ``HARD_FAILURE`` (a disconnected scan: consent missing or revoked, app disabled, tenant not
  found): ``hard_failures`` + 1 and the reason recorded; the state becomes ``disconnected`` only at
  the second failure in a row, so one odd answer from Entra ID does not alarm the MSP. A customer
  still ``pending_consent`` stays there (it was never connected; the reason says what happened).
- ``TRANSIENT`` (throttled, service errors, identity service unavailable): nothing changes.

A customer with one hard failure and not yet disconnected ``awaits_confirmation``: the worker probes
it again a few minutes later (``connection_recheck_s``), so a deleted app shows as a lost connection
within minutes, not at the next day's scan. Crossing into ``disconnected`` and back out of it are
events of their own in the audit trail (:func:`connection_change`): ``connection.lost`` and
``connection.restored``.

:func:`outcome_of_scan` turns a ``scanner.ScanResult`` into an outcome; :func:`apply_connection`
writes the next state onto a customer row (the caller holds the row lock).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from portal.db.models import ConnectionState, Customer
from portal.db.uow import UnitOfWork
from portal.services.audit import record_event
from scanner import ScanResult, Status

__all__ = [
    "EXCHANGE_ROLE",
    "HARD_FAILURES_TO_DISCONNECT",
    "Connection",
    "ConnectionOutcome",
    "OutcomeKind",
    "apply_connection",
    "connection_change",
    "missing_permissions",
    "next_connection",
    "outcome_of_scan",
]

#: Hard failures in a row that flip a customer to ``disconnected``.
HARD_FAILURES_TO_DISCONNECT = 2
#: What ``missing_permissions`` lists when the Exchange admin API refuses the app for want of a role.
EXCHANGE_ROLE = "directory_role:Global Reader"

_PERMISSION_PREFIX = "insufficient_permission"


class OutcomeKind(enum.StrEnum):
    REACHED_OK = "reached_ok"
    REACHED_MISSING = "reached_missing"
    REACHED_UNSURE = "reached_unsure"
    HARD_FAILURE = "hard_failure"
    TRANSIENT = "transient"


@dataclass(frozen=True)
class ConnectionOutcome:
    """What one scan or probe learnt about the connection."""

    kind: OutcomeKind
    reason: str | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Connection:
    """The connection columns of a customer row."""

    state: ConnectionState
    reason: str | None = None
    missing_permissions: tuple[str, ...] = ()
    hard_failures: int = 0

    @property
    def awaits_confirmation(self) -> bool:
        """One hard failure on a customer that was reachable: worth checking again soon."""
        return self.hard_failures > 0 and self.state not in (ConnectionState.DISCONNECTED,
                                                             ConnectionState.PENDING_CONSENT)

    @classmethod
    def of(cls, customer: Customer) -> Connection:
        return cls(
            state=ConnectionState(customer.connection_state),
            reason=customer.connection_reason,
            missing_permissions=tuple(customer.missing_permissions or ()),
            hard_failures=customer.hard_failures or 0,
        )


def next_connection(current: Connection, outcome: ConnectionOutcome) -> Connection:
    """The connection after ``outcome`` (pure; see the module docstring for the rules)."""
    kind = outcome.kind
    if kind is OutcomeKind.TRANSIENT:
        return current
    if kind is OutcomeKind.REACHED_OK:
        return Connection(ConnectionState.CONNECTED)
    if kind is OutcomeKind.REACHED_MISSING:
        missing = tuple(sorted(set(outcome.missing)))
        reason = f"Missing permissions: {', '.join(missing)}. Grant them to the app and send the consent link again."
        return Connection(ConnectionState.DEGRADED, reason, missing)
    if kind is OutcomeKind.REACHED_UNSURE:
        state = current.state
        if state in (ConnectionState.PENDING_CONSENT, ConnectionState.DISCONNECTED):
            return Connection(ConnectionState.CONNECTED)
        return Connection(state, current.reason, current.missing_permissions, 0)
    failures = current.hard_failures + 1
    state = current.state
    if failures >= HARD_FAILURES_TO_DISCONNECT and state is not ConnectionState.PENDING_CONSENT:
        state = ConnectionState.DISCONNECTED
    return Connection(state, outcome.reason, current.missing_permissions, failures)


def missing_permissions(result: ScanResult) -> tuple[str, ...]:
    """Permissions (and the Exchange role) whose absence made checks error, sorted, unique.

    Reads the stable reasons the scanner writes: ``insufficient_permission:<name>[,<name>]``
    (also inside ``licences_unknown:...``) and ``exchange_role_missing``.
    """
    found: set[str] = set()
    for check in result.checks:
        if check.status is not Status.ERROR or not check.reason:
            continue
        reason = check.reason
        if "exchange_role_missing" in reason:
            found.add(EXCHANGE_ROLE)
            continue
        at = reason.find(_PERMISSION_PREFIX)
        if at < 0:
            continue
        rest = reason[at + len(_PERMISSION_PREFIX):]
        names = [n.strip() for n in rest.lstrip(":").split(",") if n.strip()] if rest.startswith(":") else []
        found.update(names or ["unknown"])
    return tuple(sorted(found))


def outcome_of_scan(result: ScanResult) -> ConnectionOutcome:
    """What a finished scan says about the connection."""
    if result.status == "disconnected":
        return ConnectionOutcome(OutcomeKind.HARD_FAILURE, reason=result.error or "tenant unreachable")
    if result.status == "completed":
        return ConnectionOutcome(OutcomeKind.REACHED_OK)
    missing = missing_permissions(result)
    if missing:
        return ConnectionOutcome(OutcomeKind.REACHED_MISSING, missing=missing)
    return ConnectionOutcome(OutcomeKind.REACHED_UNSURE)


def apply_connection(uow: UnitOfWork, customer: Customer, outcome: ConnectionOutcome) -> Connection:
    """Write the next connection state onto ``customer`` (locked by the caller), audit a lost or
    restored connection in the same transaction, and return the new state."""
    before = Connection.of(customer)
    after = next_connection(before, outcome)
    customer.connection_state = after.state
    customer.connection_reason = after.reason
    customer.missing_permissions = list(after.missing_permissions)
    customer.hard_failures = after.hard_failures
    change = connection_change(before, after)
    if change is not None:
        record_event(uow, customer_id=customer.id, action=change, target=f"customer:{customer.id}",
                     details={"reason": after.reason, "hard_failures": after.hard_failures})
    return after


def connection_change(before: Connection, after: Connection) -> str | None:
    """The audit action for crossing into or out of ``disconnected``, or None."""
    lost = ConnectionState.DISCONNECTED
    if after.state is lost and before.state is not lost:
        return "connection.lost"
    if before.state is lost and after.state in (ConnectionState.CONNECTED, ConnectionState.DEGRADED):
        return "connection.restored"
    return None
