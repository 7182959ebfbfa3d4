"""``/healthz`` (the process is up) and ``/readyz`` (the database and the broker answer)."""

from portal.web.health.controllers import HealthController

__all__ = ["HealthController"]
