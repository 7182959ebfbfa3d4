"""The portal's cookies: the session token and the chosen organisation.

The session cookie is HttpOnly and SameSite=Lax always, and Secure with the ``__Host-`` prefix when the
portal is served over TLS (the browser then refuses it from any other host or over http). The
organisation cookie only says which of the user's organisations to show: every request checks it
against the session's organisations, so a forged value shows nothing the user could not see.
"""

from __future__ import annotations

from litestar import Request, Response

from portal.services.accounts import SESSION_LIFETIME

__all__ = ["ORGANISATION_COOKIE", "SECOND_FACTOR_COOKIE", "clear_session_cookie", "session_cookie_name",
           "session_token", "set_session_cookie"]

ORGANISATION_COOKIE = "posture_org"
#: The ticket between the password and the second factor (five minutes, sign-in paths only).
SECOND_FACTOR_COOKIE = "posture_second_factor"


def session_cookie_name(tls: bool) -> str:
    return "__Host-posture_session" if tls else "posture_session"


def session_token(request: Request, tls: bool) -> str | None:
    """The session token the browser sent, if any."""
    return request.cookies.get(session_cookie_name(tls))


def set_session_cookie(response: Response, token: str, tls: bool) -> None:
    response.set_cookie(session_cookie_name(tls), token, max_age=int(SESSION_LIFETIME.total_seconds()), path="/",
                        secure=tls, httponly=True, samesite="lax")


def clear_session_cookie(response: Response, tls: bool) -> None:
    response.delete_cookie(session_cookie_name(tls), path="/")
    response.delete_cookie(ORGANISATION_COOKIE, path="/")
