"""Our Dramatiq middleware and retry classification: what every actor gets without repeating it.

- :class:`LogContext` binds the message's id and its ids (``scan_id``, ``customer_id``,
  ``msp_id``) to the log context before the actor runs and clears them after (``run_scan`` adds
  ``tenant_id`` once it has read it).
- Retry classification: :func:`is_transient` says which errors a later attempt may cure (the
  scanner's transient errors, a lost or deadlocked database connection); :func:`retry_transient`
  is the ``retry_when`` predicate of our actors (transient and under ``MAX_RETRIES``), and
  :func:`retry_on_transient`, around an actor body, re-raises a transient error as
  ``dramatiq.Retry`` with the server's ``Retry-After`` when it sent one (STYLE.md: "Throttled
  raises Retry with the server's delay"). Dramatiq logs a ``Retry`` quietly; we log it at WARNING.
- :class:`DeadLetters` sends a message that failed for good (retries exhausted, a permanent error,
  or expired by its age limit) to the dead-letter actor named by the actor option ``dead_letter``,
  with the failed message's keyword arguments plus ``reason``.

Why not Dramatiq's ``on_failure`` callback: ``Callbacks`` sends it after *every* failed attempt,
retried or not, so a dead-letter actor that marks the scan failed would mark it on the first
throttle and the retry would then find a final scan and do nothing. Why not ``on_retry_exhausted``:
it carries no reason and misses messages skipped by the age limit. ``DeadLetters`` acts only once
``message.failed`` is set, which is why it must sit *before* ``Retries`` in the middleware list
(``after_*`` hooks run in reverse order).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dramatiq import Broker, Middleware, Retry
from dramatiq.middleware import AgeLimit, Callbacks, Retries, ShutdownNotifications, TimeLimit, TimeLimitExceeded
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from portal.services import log_context
from portal.services.scans import TRANSIENT_ERRORS
from scanner import ScannerError

__all__ = [
    "MAX_RETRIES",
    "MIN_BACKOFF_MS",
    "DeadLetters",
    "LogContext",
    "build_middleware",
    "failure_reason",
    "is_permanent_connection_error",
    "is_transient",
    "retry_on_transient",
    "retry_transient",
]

log = logging.getLogger(__name__)

#: Attempts after the first for a transient failure; then the message is dead-lettered.
MAX_RETRIES = 5
#: Base of the exponential backoff between attempts (Dramatiq doubles it each retry, with jitter).
MIN_BACKOFF_MS = 15_000
#: Longest reason handed to the dead-letter actor.
_MAX_REASON = 1000
#: Message keyword arguments bound to the log context.
_CONTEXT_IDS = ("scan_id", "customer_id", "msp_id")


#: What libpq says when the connection cannot be made for a reason that waiting does not cure: a
#: wrong password, a role or database that does not exist, a server that refuses the role.
_PERMANENT_CONNECTION_ERRORS = (
    "password authentication failed", "does not exist", "no pg_hba.conf entry", "is not permitted to log in",
    "permission denied for database", "authentication failed",
)


def is_transient(exc: BaseException) -> bool:
    """True when a later attempt may succeed and nothing needs to be recorded as failed."""
    if isinstance(exc, (Retry, *TRANSIENT_ERRORS)):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        # A restarted database, a dropped connection, deadlocks and serialisation failures (psycopg2
        # raises those as OperationalError subclasses) pass; a wrong password or a missing database does not.
        return not is_permanent_connection_error(exc)
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def is_permanent_connection_error(exc: DBAPIError) -> bool:
    """A connection refused for its credentials or its target, which no retry fixes."""
    if getattr(exc.orig, "pgcode", None):  # an error inside a session, not at connection time
        return False
    message = str(exc.orig).lower()
    return any(marker in message for marker in _PERMANENT_CONNECTION_ERRORS)


def retry_transient(retries: int, exc: BaseException) -> bool:
    """``retry_when`` for our actors: retry transient errors, at most ``MAX_RETRIES`` times."""
    return retries < MAX_RETRIES and is_transient(exc)


def failure_reason(exc: BaseException) -> str:
    """A short reason for a failed message: the scanner's stable reason when there is one."""
    if isinstance(exc, Retry) and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, ScannerError):
        text = f"{exc.reason}: {exc.message}"
    elif isinstance(exc, TimeLimitExceeded):
        text = "time_limit: the work took longer than the actor's time limit"
    elif isinstance(exc, DBAPIError):
        # Never the statement or the server's message: they can quote the row's values.
        code = getattr(exc.orig, "pgcode", None)
        text = f"database_error: {type(exc.orig).__name__}" + (f" (SQLSTATE {code})" if code else "")
        if isinstance(exc, OperationalError) and is_permanent_connection_error(exc):
            text += ": the worker cannot log in to the database; check its database URL, role and password"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:_MAX_REASON]


@contextmanager
def retry_on_transient(*, floor_ms: int = MIN_BACKOFF_MS) -> Iterator[None]:
    """Around an actor body: re-raise transient errors as ``Retry``, honouring the server's delay.

    The delay is the server's ``Retry-After`` (never under ``floor_ms``) when the error carries one;
    otherwise ``Retry`` has no delay and Dramatiq's exponential backoff applies.
    """
    try:
        yield
    except Retry:
        raise
    except Exception as exc:
        if not is_transient(exc):
            raise
        retry_after_s = getattr(exc, "retry_after_s", None)
        delay_ms = max(int(retry_after_s * 1000), floor_ms) if retry_after_s else None
        reason = failure_reason(exc)
        log.warning("transient failure, retrying later: %s", reason, extra={"delay_ms": delay_ms})
        raise Retry(reason, delay=delay_ms) from exc


class LogContext(Middleware):
    """Bind the message's ids to the log context for as long as it is processed."""

    def before_process_message(self, broker: Broker, message: Any) -> None:
        log_context.clear()
        ids = {key: message.kwargs.get(key) for key in _CONTEXT_IDS}
        log_context.bind(message_id=message.message_id, actor=message.actor_name, **ids)

    def after_process_message(self, broker: Broker, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        log_context.clear()

    def after_skip_message(self, broker: Broker, message: Any) -> None:
        log_context.clear()


class DeadLetters(Middleware):
    """Hand messages that failed for good to the actor named by their actor's ``dead_letter`` option."""

    @property
    def actor_options(self) -> set[str]:
        return {"dead_letter"}

    def after_process_message(self, broker: Broker, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        if exception is not None and message.failed:
            self._dead_letter(broker, message, failure_reason(exception))

    def after_skip_message(self, broker: Broker, message: Any) -> None:
        if message.failed:
            self._dead_letter(broker, message, "expired: the message waited longer than its age limit")

    def _dead_letter(self, broker: Broker, message: Any, reason: str) -> None:
        actor = broker.get_actor(message.actor_name)
        target = message.options.get("dead_letter") or actor.options.get("dead_letter")
        if not target:
            return
        log.error("message failed for good, dead-lettered: %s", reason,
                  extra={"actor_name": message.actor_name, "dead_letter": target})
        broker.get_actor(target).send(**message.kwargs, reason=reason)


def build_middleware() -> list[Middleware]:
    """A worker's middleware stack, in order.

    ``LogContext`` first (bound before anything logs, cleared last), ``AgeLimit``, ``TimeLimit``,
    ``ShutdownNotifications``, ``Callbacks``, ``DeadLetters`` and ``Retries`` last, so that
    ``DeadLetters.after_*`` runs after ``Retries`` has decided whether the message failed for good
    (``after_*`` hooks run in reverse order). No ``Prometheus`` (it opens an HTTP port per process;
    metrics come later) and no ``Pipelines`` (unused).
    """
    return [
        LogContext(),
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        DeadLetters(),
        Retries(min_backoff=MIN_BACKOFF_MS),
    ]
