"""Retry classification and the dead-letter path, on Dramatiq's in-memory broker with our middleware.

The stub broker is Dramatiq's own test double for a broker (same middleware, same worker); the
actors here are tiny stand-ins whose failures we choose. Backoffs are shortened per actor so a
test of five retries takes milliseconds.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq import Message, Retry, Worker
from dramatiq.brokers.stub import StubBroker
from sqlalchemy.exc import OperationalError

from portal.services import log_context
from scanner import CredentialInvalid, ServiceError, Throttled, TransientAuthError
from worker.middleware import (
    MAX_RETRIES,
    LogContext,
    build_middleware,
    failure_reason,
    is_transient,
    retry_on_transient,
    retry_transient,
)

FAST = {"retry_when": retry_transient, "min_backoff": 1, "max_backoff": 5}


class Harness:
    def __init__(self) -> None:
        self.broker = StubBroker(middleware=build_middleware())
        self.broker.emit_after("process_boot")
        self.attempts = 0
        self.dead: list[dict[str, Any]] = []
        self.contexts: list[dict[str, str]] = []
        self._lock = threading.Lock()

        @dramatiq.actor(broker=self.broker, actor_name="dead", queue_name="q")
        def dead(**kwargs: Any) -> None:
            with self._lock:
                self.dead.append(kwargs)

        self.dead_actor = dead

    def actor(self, failure: BaseException | None, **options: Any) -> dramatiq.Actor[Any, Any]:
        @dramatiq.actor(broker=self.broker, actor_name="work", queue_name="q", dead_letter="dead", **options)
        def work(scan_id: str) -> None:
            with self._lock:
                self.attempts += 1
                self.contexts.append(dict(log_context.current()))
            if failure is not None:
                with retry_on_transient(floor_ms=1):
                    raise failure

        return work

    def run(self) -> None:
        worker = Worker(self.broker, worker_timeout=50)
        worker.start()
        try:
            self.broker.join("q")
            worker.join()
        finally:
            worker.stop()


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.broker.close()


def test_a_transient_error_is_retried_then_dead_lettered_with_its_reason(harness: Harness) -> None:
    harness.actor(Throttled(429, "TooManyRequests", "still throttled", "/users"), **FAST).send(scan_id="s1")
    harness.run()
    assert harness.attempts == MAX_RETRIES + 1
    assert harness.dead == [{"scan_id": "s1", "reason": "throttled: still throttled"}]


def test_a_permanent_error_is_dead_lettered_at_once(harness: Harness) -> None:
    harness.actor(CredentialInvalid("the app's certificate was rejected"), **FAST).send(scan_id="s2")
    harness.run()
    assert harness.attempts == 1
    assert harness.dead == [{"scan_id": "s2", "reason": "credential_invalid: the app's certificate was rejected"}]


def test_success_sends_nothing_to_the_dead_letter_actor(harness: Harness) -> None:
    harness.actor(None, **FAST).send(scan_id="s3")
    harness.run()
    assert (harness.attempts, harness.dead) == (1, [])


def test_an_expired_message_is_dead_lettered_without_running(harness: Harness) -> None:
    work = harness.actor(None, max_age=1000, **FAST)
    old = work.message(scan_id="s4").copy(message_timestamp=int(dt.datetime(2020, 1, 1).timestamp() * 1000))
    harness.broker.enqueue(old)
    harness.run()
    assert harness.attempts == 0
    assert harness.dead == [{"scan_id": "s4", "reason": "expired: the message waited longer than its age limit"}]


def test_the_message_ids_are_in_the_log_context_while_it_runs(harness: Harness) -> None:
    message = harness.actor(None, **FAST).send(scan_id="s5")
    harness.run()
    assert harness.contexts[0]["scan_id"] == "s5" and harness.contexts[0]["message_id"] == message.message_id


def test_the_log_context_is_cleared_after_a_message_whatever_it_left() -> None:
    middleware = LogContext()
    message = Message(queue_name="q", actor_name="work", args=(), kwargs={"scan_id": "s6"}, options={})
    middleware.before_process_message(StubBroker(), message)
    log_context.bind(tenant_id="bound by the actor body")
    assert log_context.current()["scan_id"] == "s6"
    middleware.after_process_message(StubBroker(), message, exception=ValueError("failed"))
    assert dict(log_context.current()) == {}


@pytest.mark.parametrize(("error", "transient"), [
    (TransientAuthError("identity busy"), True),
    (ServiceError(503, None, "unavailable", "/users"), True),
    (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
    (Retry("later"), True),
    (CredentialInvalid("bad certificate"), False),
    (ValueError("bad id"), False),
])
def test_classification(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
    assert retry_transient(0, error) is transient
    assert retry_transient(MAX_RETRIES, error) is False


def test_retry_honours_the_servers_delay_but_not_below_the_floor() -> None:
    with pytest.raises(Retry) as slow, retry_on_transient(floor_ms=1000):
        raise TransientAuthError("identity busy", retry_after_s=30)
    assert slow.value.delay == 30_000
    with pytest.raises(Retry) as quick, retry_on_transient(floor_ms=1000):
        raise Throttled(429, None, "slow down", "/users", retry_after_s=0.2)
    assert quick.value.delay == 1000
    with pytest.raises(Retry) as unknown, retry_on_transient(floor_ms=1000):
        raise ServiceError(503, None, "unavailable", "/users")
    assert unknown.value.delay is None  # Dramatiq's exponential backoff applies
    assert failure_reason(unknown.value) == "service_error:503: unavailable"
    with pytest.raises(ValueError), retry_on_transient():
        raise ValueError("not transient: passes through unchanged")
