"""Liveness and readiness, for load balancers and orchestrators (CONTRACT.md "HTTP").

``/readyz`` runs each readiness check of the web runtime (the database as the web role, the broker)
and answers 503 naming the parts that failed, with the error's class only: a connection error's
text can hold a host name or a user name, which an unauthenticated route must not show.
"""

from __future__ import annotations

import logging

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from portal.web.runtime import WebRuntime

__all__ = ["HealthController"]

log = logging.getLogger(__name__)


class HealthController(Controller):
    include_in_schema = True
    tags = ["health"]

    @get("/healthz", operation_id="healthz", summary="The process is up", sync_to_thread=False)
    def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", operation_id="readyz", summary="The database and the broker answer", sync_to_thread=True)
    def readyz(self, web: NamedDependency[WebRuntime]) -> Response[dict[str, str]]:
        parts: dict[str, str] = {}
        for name, check in web.readiness.items():
            try:
                check()
            except Exception as exc:  # any failure means "not ready"; the log has the detail
                log.warning("readiness check failed: %s", name, exc_info=exc)
                parts[name] = f"unavailable ({type(exc).__name__})"
            else:
                parts[name] = "ok"
        ready = all(value == "ok" for value in parts.values())
        return Response({"status": "ready" if ready else "not ready", **parts},
                        status_code=HTTP_200_OK if ready else HTTP_503_SERVICE_UNAVAILABLE)
