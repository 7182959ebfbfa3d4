"""Declare actors on a given broker, instead of on Dramatiq's global one at import time.

``@dramatiq.actor`` binds to whatever global broker exists when the module is imported (creating a
RabbitMQ one if none was set), so importing an actor module in the wrong order silently talks to
the wrong broker. Here ``@actor(...)`` only records the function and its options; ``declare_actors``
binds them to the broker ``worker.app.boot`` built. Options are still validated by Dramatiq at that
point (an option no middleware understands fails at declaration), and the decorated function stays
a plain callable, so tests call actor bodies directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import dramatiq
from dramatiq import Broker

__all__ = ["actor", "declare"]

F = TypeVar("F", bound=Callable[..., Any])

_registered: list[tuple[Callable[..., Any], dict[str, Any]]] = []


def actor(*, actor_name: str, queue_name: str, **options: Any) -> Callable[[F], F]:
    """Record ``fn`` as an actor with a stable name and its queue; see :func:`declare`."""

    def record(fn: F) -> F:
        _registered.append((fn, {"actor_name": actor_name, "queue_name": queue_name, **options}))
        return fn

    return record


def declare(broker: Broker) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare every recorded actor on ``broker``; returns them by name."""
    return {options["actor_name"]: dramatiq.actor(fn, broker=broker, **options) for fn, options in _registered}
