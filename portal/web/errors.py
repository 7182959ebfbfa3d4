"""How refusals look: a page for a browser, JSON for ``/api/v1``.

403 and 404 carry the same words whatever was refused, so an answer never says whether a foreign
thing exists; the API keeps Litestar's JSON shape (``status_code``, ``detail``).
"""

from __future__ import annotations

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template

__all__ = ["refusal"]

_TITLES = {403: "Not allowed", 404: "Not found"}


def refusal(request: Request, exc: HTTPException) -> Response:
    """403 and 404: JSON under ``/api/``, else the error page (in the top bar of the signed-in caller)."""
    if request.url.path.startswith("/api/"):
        return Response({"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code,
                        media_type=MediaType.JSON, headers=exc.headers)
    return Template("error.html", status_code=exc.status_code,
                    context={"title": _TITLES.get(exc.status_code, "Refused"), "detail": exc.detail})
