"""Security headers on every response, pages, API and static files alike.

- ``Content-Security-Policy``: everything from our own origin, no inline script (htmx is served from
  ``/static``; its inline indicator styles are switched off in ``templates/base.html``), no framing,
  forms post to ourselves only.
- ``X-Frame-Options: DENY`` for browsers older than ``frame-ancestors``; ``X-Content-Type-Options:
  nosniff``; ``Referrer-Policy: same-origin`` (tenant ids in our URLs stay ours).
- ``Strict-Transport-Security`` only when the portal is served over TLS (``POSTURE_PUBLIC_URL`` is
  https): sending it over plain http would be ignored at best and pin a wrong origin at worst.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

__all__ = ["CONTENT_SECURITY_POLICY", "security_headers"]

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
_HSTS = "max-age=31536000; includeSubDomains"
#: Headers a response may set for itself: only the sandboxed email preview does (portal.web.summaries).
_OWN_POLICY = frozenset({"Content-Security-Policy", "X-Frame-Options"})


def security_headers(*, tls: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A Litestar ``before_send`` hook adding the headers above (HSTS when ``tls``) to every response,
    the router's own 404 and 405 included (route middleware never sees those)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if tls:
        headers["Strict-Transport-Security"] = _HSTS

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            response_headers = MutableScopeHeaders.from_message(message)
            for name, value in headers.items():
                if name in _OWN_POLICY and name in response_headers:
                    continue  # a response with a stricter policy of its own (the summary's preview) keeps it
                response_headers[name] = value
            if not str(scope.get("path", "")).startswith("/static/"):
                # Pages and API answers carry tokens, codes and tenant data: no cache keeps them.
                response_headers["Cache-Control"] = "no-store"

    return before_send
