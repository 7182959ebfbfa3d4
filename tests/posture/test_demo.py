"""`posture demo --once`: database, migrations, simulator fleet onboarded through the consent flow, the
portal and a real worker process, fleet summary, the logins; and a second run over the same database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from email import message_from_bytes, policy

from sqlalchemy import text

from portal.db.engine import make_engine
from tests.support.database import ROOT
from tests.support.database import test_database as fresh_database


def test_demo_scans_a_fleet_and_prints_it(tmp_path):
    with fresh_database() as owner_url:  # its own database: the demo seeds a fixed MSP
        engine = make_engine(owner_url)
        try:
            _run_demo_and_check(owner_url, engine, tmp_path)
        finally:
            engine.dispose()


def _mail(path):
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def _demo(owner_url, tmp_path, tenants: int) -> tuple[subprocess.CompletedProcess, int]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("POSTURE_") or k in ("POSTURE_BROKER_URL", "POSTURE_DNS_RESOLVER")}
    env.update(POSTURE_DATABASE_URL=owner_url, POSTURE_DATA_DIR=str(tmp_path))
    port = _free_port()
    proc = subprocess.run([sys.executable, "-m", "posture", "demo", "--once", "--no-browser", "--tenants", str(tenants),
                           "--port", str(port)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, port


def _run_demo_and_check(owner_url, owner_engine, tmp_path):
    proc, port = _demo(owner_url, tmp_path, 4)
    assert "Fleet" in proc.stdout
    _check_logins(proc.stdout, port, owner_url)
    with owner_engine.connect() as connection:
        statuses = connection.execute(text("SELECT status::text FROM scans")).scalars().all()
        customers = connection.execute(text("SELECT name, tags, connection_state::text FROM customers")).all()
        results = connection.execute(text("SELECT count(*) FROM check_results")).scalar()
        actions = dict(connection.execute(text(
            "SELECT action, count(*) FROM audit_events WHERE actor = 'admin@northwind-msp.example' GROUP BY 1")).all())
        onboarding = connection.execute(text("SELECT outcome FROM onboarding_requests")).scalars().all()
        unconfirmed = connection.execute(text(
            "SELECT count(*) FROM latest_results WHERE reason = 'break_glass_unconfirmed'")).scalar()
        recorded = connection.execute(text(
            "SELECT name FROM customers WHERE cardinality(break_glass_ids) = 2 ORDER BY name")).scalars().all()
    assert len(customers) == 4 and all(row.name in proc.stdout for row in customers)
    customers_by_name = sorted(row.name for row in customers)
    # Each one went through the portal's forms and Microsoft's (the simulator's) consent page, as the
    # admin: added, a link made, the link used once and closed, connected by the callback.
    assert actions.get("customer.added") == 4 and actions.get("consent.link_made") == 4
    assert onboarding == ["bound"] * 4
    # The admin recorded each tenant's two emergency accounts, so no Conditional Access check waits on them.
    assert len(recorded) >= 2 and unconfirmed == 0
    assert proc.stderr.count(": Connected; its first scan is queued") == 4
    # The first four of the demo fleet are typical, secure, neglected and free: all reachable.
    assert sorted(tuple(row.tags) for row in customers) == [("free",), ("neglected",), ("secure",), ("typical",)]
    assert {row.connection_state for row in customers} == {"connected"}
    assert statuses == ["completed"] * 4
    assert results > 0
    assert (tmp_path / "demo" / "client.pem").stat().st_mode & 0o077 == 0
    # The first customer's monthly summary went through the worker and SMTP to the demo's sink, with its PDF.
    assert re.search(r"^mail: http://127\.0\.0\.1:\d+/$", proc.stdout, re.MULTILINE)
    summaries = [m for m in map(_mail, sorted((tmp_path / "demo" / "mail").glob("*.eml")))
                 if "security summary" in str(m["Subject"])]
    assert summaries and {str(m["To"]) for m in summaries} >= {"board@" + _slug(customers_by_name[0]) + ".example"}
    assert all(any(p.get_content_type() == "application/pdf" for p in m.iter_attachments()) for m in summaries)
    assert all(str(m["List-Unsubscribe"]).startswith(f"<http://127.0.0.1:{port}/unsubscribe/") for m in summaries)
    # Billing as its admin left it: client prices, and the largest customer's seat limit set below usage,
    # logged as the admin's change; the managed users come from the scans the worker recorded.
    with owner_engine.connect() as connection:
        prices = connection.execute(text("SELECT count(*) FROM tier_prices")).scalar()
        limited = connection.execute(text(
            "SELECT c.seat_limit, (s.environment ->> 'licensed')::int FROM customers c JOIN scans s "
            "ON s.customer_id = c.id WHERE c.seat_limit IS NOT NULL")).all()
        logged = connection.execute(text(
            "SELECT actor FROM billing_changes WHERE field = 'seat_limit'")).scalars().all()
    assert prices == 3 and len(limited) == 1 and limited[0][0] < limited[0][1]
    assert logged == ["admin@northwind-msp.example"]

    # Again, with four more tenants: the first four are scanned again without a second onboarding; the
    # new ones are onboarded, and the eighth (revoked: its app deleted after consent) fails to connect.
    again, _ = _demo(owner_url, tmp_path, 8)
    assert again.stderr.count("onboarded in an earlier run (connected); scanning again") == 4
    assert again.stderr.count(": Connected; its first scan is queued") == 4
    with owner_engine.connect() as connection:
        customers = connection.execute(text("SELECT count(*) FROM customers")).scalar()
        by_status = dict(connection.execute(text("SELECT status::text, count(*) FROM scans GROUP BY 1")).all())
        revoked = connection.execute(text(
            "SELECT connection_state::text, hard_failures FROM customers WHERE 'revoked' = ANY (tags)")).one()
    assert customers == 8
    assert by_status == {"completed": 11, "disconnected": 1}
    assert tuple(revoked) == ("connected", 1)  # until the worker's confirming probe, 30 s later


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_logins(stdout: str, port: int, owner_url: str) -> None:
    """CONTRACT.md's lines are there, and every printed login and token works."""
    import re

    from portal.db import migrate
    from portal.db.engine import role_url
    from portal.db.roles import DatabaseRoles
    from portal.services.accounts import current_session, sign_in, token_caller

    assert f"portal: http://127.0.0.1:{port}/" in stdout.splitlines()
    logins = dict((m.group(1), (m.group(2), m.group(3)))
                  for m in re.finditer(r"^login (\w+) (\S+) (\S+)$", stdout, re.M))
    assert set(logins) == {"platform_operator", "msp_admin", "msp_analyst", "customer_admin", "customer_viewer"}
    assert logins["msp_admin"][0] == "admin@northwind-msp.example"
    tokens = dict(re.findall(r"^token (\w+) (\S+)$", stdout, re.M))
    assert set(tokens) == {"msp_admin", "customer_viewer"}
    engine = make_engine(role_url(owner_url, DatabaseRoles().web), scope_key=migrate.read_scope_key(owner_url))
    try:
        for role, (email, password) in logins.items():
            token, _ = sign_in(engine, email, password, address="127.0.0.1")
            session = current_session(engine, token)
            assert session is not None, role
            assert session.is_platform_operator == (role == "platform_operator")
        assert token_caller(engine, tokens["msp_admin"]).read_write
        assert token_caller(engine, tokens["customer_viewer"]).membership.customer_id is not None
    finally:
        engine.dispose()
