"""What the web tests share: signing in through the form, the app's routes, API tokens made the way a
signed-in user makes them."""

from __future__ import annotations

import re
import uuid

from litestar import Litestar
from litestar.routes import ASGIRoute
from litestar.testing import TestClient
from sqlalchemy import Engine

from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView, create_token
from tests.support.people import PASSWORD

__all__ = ["app_routes", "sign_in", "token_for"]


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form, as a browser does; returns the CSRF token for the posts that follow."""
    client.cookies.clear()
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    client.post("/sign-in", data={"email": email, "password": password, "_csrf_token": token})
    return token


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, but CORS preflights and the OpenAPI document (public by
    CONTRACT.md); a mounted ASGI app (``/mcp``) as ("ASGI", its path)."""
    found = set()
    for route in app.routes:
        if isinstance(route, ASGIRoute):
            found.add(("ASGI", route.path))
        for method in getattr(route, "methods", ()):
            if method != "OPTIONS" and not route.path.startswith("/schema"):
                found.add((method, route.path))
    return found


def token_for(web_engine: Engine, user_id: uuid.UUID, email: str, membership: MembershipView, *,
              read_write: bool = False, days: int = 30) -> tuple[uuid.UUID, str]:
    """A personal API token the user makes for themselves in that membership's organisation."""
    scope = Scope(msp_id=membership.msp_id, actor=email, user_id=user_id,
                  customer_ids=frozenset({membership.customer_id}) if membership.customer_id else None)
    with unit_of_work(web_engine, scope) as uow:
        return create_token(uow, name="test token", read_write=read_write, days=days,
                            customer_id=membership.customer_id)
