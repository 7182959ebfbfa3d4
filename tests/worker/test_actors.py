"""Actor declarations and broker selection: the names and options queued messages depend on."""

from __future__ import annotations

import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries
from dramatiq_pg import PostgresBroker

from config.broker import broker_kind, build_broker
from worker.actors import declare_actors
from worker.actors.scans import scan_tenant
from worker.middleware import DeadLetters, build_middleware, retry_transient


def test_actor_names_queues_and_options_are_stable() -> None:
    actors = declare_actors(StubBroker(middleware=build_middleware()))
    assert {name: a.queue_name for name, a in actors.items()} == {
        "scan_tenant": "scans", "scan_dead_letter": "scans", "run_due_schedules": "schedules",
        "probe_connection": "scans", "rescore_customer": "scans", "deliver_alert": "schedules",
        "render_report": "scans", "deliver_summary": "schedules"}
    options = actors["scan_tenant"].options
    assert (options["time_limit"], options["dead_letter"], options["retry_when"]) == (
        600_000, "scan_dead_letter", retry_transient)
    assert actors["scan_tenant"].fn is scan_tenant  # the body stays a plain function


def test_declaring_on_a_broker_without_our_middleware_fails() -> None:
    with pytest.raises(ValueError, match="dead_letter"):
        declare_actors(StubBroker())


@pytest.mark.parametrize(("url", "kind", "cls"), [
    ("amqp://guest:guest@127.0.0.1:5672/", "rabbitmq", RabbitmqBroker),
    ("redis://127.0.0.1:6379/0?namespace=x&heartbeat_timeout_ms=5000", "redis", RedisBroker),
    ("postgresql://posture_worker@127.0.0.1:5432/posture", "postgresql", PostgresBroker),
    (None, "postgresql", PostgresBroker),
])
def test_the_broker_is_chosen_by_url(url: str | None, kind: str, cls: type) -> None:
    assert broker_kind(url) == kind
    broker = build_broker(url, "postgresql://postgres@127.0.0.1:5432/posture", middleware=build_middleware())
    try:
        assert isinstance(broker, cls)
        kinds = [type(m) for m in broker.middleware]
        assert kinds.index(DeadLetters) < kinds.index(Retries)  # after_* hooks run in reverse
        if cls is RedisBroker:
            assert (broker.namespace, broker.heartbeat_timeout) == ("x", 5000)
    finally:
        broker.close()


def test_an_unknown_scheme_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="amqp://, redis:// or postgresql://"):
        broker_kind("kafka://127.0.0.1:9092")


def test_a_sender_gets_the_publishing_broker_and_no_worker_middleware() -> None:
    from config.broker import PublishingPostgresBroker

    broker = build_broker(None, "postgresql://posture_web@127.0.0.1:5432/posture", publisher=True)
    try:
        assert isinstance(broker, PublishingPostgresBroker)
        assert not any(isinstance(m, DeadLetters | Retries) for m in broker.middleware)
    finally:
        broker.close()
