"""The actors, one module per area; :func:`declare_actors` binds them all to a broker."""

from typing import Any

import dramatiq
from dramatiq import Broker

from worker.actors import alerts, connections, posture, reports, scans, schedules, summaries
from worker.actors._declare import declare

__all__ = ["alerts", "connections", "declare_actors", "posture", "reports", "scans", "schedules", "summaries"]


def declare_actors(broker: Broker) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare every actor on ``broker`` (each worker process, once, at boot); returns them by name."""
    return declare(broker)
