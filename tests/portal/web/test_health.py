"""The portal process: ``/healthz``, ``/readyz`` against the real database and broker, security headers
on every response, htmx from our own static files, and ``posture serve`` over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from config.broker import ensure_broker_schema, probe_broker
from portal.db.engine import role_url
from portal.web.app import STATIC_DIR, create_app
from portal.web.runtime import WebRuntime
from portal.web.security_headers import CONTENT_SECURITY_POLICY
from tests.conftest import ROLES
from tests.support.database import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database(engine: Engine):
    def check() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    return check


@pytest.fixture
def broker_table(owner_url: str) -> None:
    ensure_broker_schema(owner_url, ROLES)


def test_healthz_and_readyz_answer_when_the_database_and_the_broker_do(web_engine: Engine, owner_url: str,
                                                                      broker_table: None) -> None:
    web_url = role_url(owner_url, ROLES.web)
    runtime = WebRuntime(engine=web_engine, readiness={"database": _database(web_engine),
                                                       "broker": lambda: probe_broker(None, web_url)})
    with TestClient(create_app(runtime)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "database": "ok", "broker": "ok"})


def test_readyz_is_503_naming_the_part_that_is_down_and_nothing_more(web_engine: Engine) -> None:
    closed = f"amqp://guest:s3cret-pass@127.0.0.1:{_free_port()}/"
    runtime = WebRuntime(engine=web_engine, readiness={"database": _database(web_engine),
                                                       "broker": lambda: probe_broker(closed, "")})
    with TestClient(create_app(runtime)) as client:
        assert client.get("/healthz").status_code == 200  # up, but not ready
        ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert (body["status"], body["database"]) == ("not ready", "ok")
    assert body["broker"].startswith("unavailable (")
    assert "s3cret-pass" not in ready.text and "127.0.0.1" not in ready.text


@pytest.mark.parametrize("path", ["/healthz", "/static/vendor/htmx-2.0.11.min.js", "/no-such-page",
                                  "/schema/openapi.json"])
def test_every_response_carries_the_security_headers(path: str, web_engine: Engine) -> None:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as client:
        response = client.get(path)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # plain http: no HSTS


def test_hsts_only_behind_tls(web_engine: Engine) -> None:
    with TestClient(create_app(WebRuntime(engine=web_engine, tls=True))) as client:
        assert client.get("/healthz").headers["strict-transport-security"].startswith("max-age=31536000")


def test_htmx_is_served_from_our_own_files(web_engine: Engine) -> None:
    with TestClient(create_app(WebRuntime(engine=web_engine))) as client:
        response = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert response.content == (STATIC_DIR / "vendor" / "htmx-2.0.11.min.js").read_bytes()


@pytest.fixture
def served(owner_url: str, scope_key: bytes, broker_table: None) -> Iterator[str]:
    """``posture serve`` with two web processes on a free loopback port; yields its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTURE_") or k == "POSTURE_DNS_RESOLVER"}
    env.update(POSTURE_DATABASE_URL=owner_url, POSTURE_SCOPE_KEY=scope_key.decode())
    if os.environ.get("POSTURE_BROKER_URL"):
        env["POSTURE_BROKER_URL"] = os.environ["POSTURE_BROKER_URL"]
    process = subprocess.Popen([sys.executable, "-m", "posture", "serve", "--port", str(port), "--workers", "2"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            process.kill()
            pytest.fail(f"posture serve did not answer: {process.communicate(timeout=10)[1].decode()[-2000:]}")
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_posture_serve_answers_health_readiness_and_the_openapi_document(served: str) -> None:
    assert httpx.get(f"{served}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{served}/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    paths = httpx.get(f"{served}/schema/openapi.json").json()["paths"]
    assert {"/healthz", "/readyz"} <= set(paths)
    assert "server" not in httpx.get(f"{served}/healthz").headers  # no version banner
