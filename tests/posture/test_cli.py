"""The `posture` command as outside scripts use it (CONTRACT.md): real processes, real simulator."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scanner import catalogue

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_CHECK_KEYS = {"id", "title", "area", "severity", "status", "reason", "references", "evidence", "affected",
                       "remediation"}


def posture(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("POSTURE_") or k == "POSTURE_DNS_RESOLVER"}
    return subprocess.run([sys.executable, "-m", "posture", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**clean_env, **(env or {})}, timeout=300)


def test_json_scan_prints_only_the_scan_document():
    proc = posture("scan", "--simulate", "typical", "--users", "40", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "posture.scan/1"
    assert set(doc["tenant"]) >= {"id", "name", "default_domain"}
    assert doc["status"] == "completed"
    assert 0 <= doc["score"] <= 100 and doc["coverage"] == 1.0
    assert len(doc["checks"]) == len(catalogue())
    assert all(set(c) >= CONTRACT_CHECK_KEYS for c in doc["checks"])
    assert set(doc["stats"]) >= {"requests", "duration_s", "cpu_s"} and doc["stats"]["requests"] > 3


def test_revoked_tenant_exits_3_with_a_disconnected_document():
    proc = posture("scan", "--simulate", "revoked", "--format", "json")
    assert proc.returncode == 3
    doc = json.loads(proc.stdout)
    assert (doc["status"], doc["score"], doc["checks"]) == ("disconnected", None, [])
    assert "AADSTS700016" in proc.stderr


def test_csv_has_one_row_per_check():
    proc = posture("scan", "--simulate", "neglected", "--users", "20", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(rows) == len(catalogue())
    legacy = next(r for r in rows if r["check_id"] == "entra.ca.block_legacy_auth")
    assert (legacy["status"], legacy["severity"]) == ("fail", "critical")
    assert "MS.AAD.1.1v1" in legacy["references"].split(";")


def test_ocsf_events_are_compliance_findings():
    proc = posture("scan", "--simulate", "neglected", "--users", "20", "--format", "ocsf",
                   "--check", "exo.smtp_auth.org_disabled")
    assert proc.returncode == 0, proc.stderr
    [event] = json.loads(proc.stdout)
    assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)
    assert event["compliance"]["status_id"] == 3 and event["compliance"]["control"] == "exo.smtp_auth.org_disabled"
    assert "MS.EXO.5.1v1" in event["compliance"]["requirements"]
    assert event["severity_id"] == 4


def test_table_is_the_default_format():
    proc = posture("scan", "--simulate", "secure", "--users", "20")
    assert proc.returncode == 0, proc.stderr
    assert "Score 100.0 (A)" in proc.stdout


@pytest.mark.parametrize("args", [
    ("scan",),
    ("scan", "--simulate", "typical", "--tenant-id", "x"),
    ("scan", "--simulate", "no-such-profile"),
    ("scan", "--simulate", "typical", "--check", "no.such.check"),
    ("scan", "--simulate", "typical", "--format", "xml"),
    ("scan", "--tenant-id", "contoso.com", "--users", "5"),
])
def test_usage_errors_exit_2(args):
    proc = posture(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""


def test_real_tenant_without_app_credentials_exits_1_and_says_what_to_set():
    proc = posture("scan", "--tenant-id", "contoso.onmicrosoft.com", "--format", "json")
    assert proc.returncode == 1
    assert "POSTURE_CLIENT_ID" in proc.stderr
    assert proc.stdout == ""


def test_catalogue_and_permissions_listings():
    listed = json.loads(posture("catalogue", "--format", "json").stdout)
    assert [c["id"] for c in listed] == [c.id for c in catalogue()]
    permissions = posture("permissions").stdout
    assert "Microsoft Graph: Policy.Read.All" in permissions
    assert "Office 365 Exchange Online: Exchange.ManageAsApp" in permissions


def test_migrate_brings_an_empty_database_to_head_and_is_idempotent():
    from sqlalchemy import text

    from portal.db.engine import make_engine
    from portal.db.scratch import scratch_database
    from tests.support.database import server_url

    with scratch_database(server_url()) as url:
        engine = make_engine(url)
        with engine.begin() as connection:  # start from empty: undo the scratch database's own migration
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        env = {"POSTURE_DATABASE_URL": url}
        first, second = posture("migrate", env=env), posture("migrate", env=env)
        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        assert "database at 0028" in second.stderr
        assert "embedded" not in second.stderr  # a configured server: nothing of the embedded one to say
        engine = make_engine(url)
        with engine.connect() as connection:
            forced = connection.execute(text(
                "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'check_results'")).scalar()
            queue = connection.execute(text("SELECT to_regclass('dramatiq.queue')")).scalar()
        engine.dispose()
        assert forced is True
        assert queue is not None  # the PostgreSQL broker's table, created because no broker URL is set


def test_sim_command_serves_tenants_that_posture_scan_can_reach(tmp_path):
    import signal
    import time

    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("POSTURE_") or k == "POSTURE_DNS_RESOLVER"}
    proc = subprocess.Popen([sys.executable, "-m", "posture", "sim", "--profile", "secure", "--profile", "revoked"],
                            cwd=ROOT, env={**clean_env, "POSTURE_DATA_DIR": str(tmp_path)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(line.startswith("#   ") and "revoked" in line for line in lines):
            lines.append(proc.stdout.readline())
        exports = dict(line[len("export "):].strip().split("=", 1) for line in lines if line.startswith("export "))
        at = next(n for n, line in enumerate(lines) if line.startswith("#   ") and " secure " in line)
        secure_id = lines[at].split()[1]
        break_glass = lines[at + 1].removeprefix("#     break-glass: ").split()
        revoked_id = next(line.split()[1] for line in lines if line.startswith("#   ") and " revoked " in line)
        env = {k: v.strip("'") for k, v in exports.items()}
        ok = posture("scan", "--tenant-id", secure_id, *break_glass, "--format", "json", env=env)
        unconfirmed = posture("scan", "--tenant-id", secure_id, "--format", "json", env=env)
        gone = posture("scan", "--tenant-id", revoked_id, "--format", "json", env=env)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["score"] == 100.0
    # Without them, Conditional Access accepts no exclusion: the policies fail, naming the accounts to confirm.
    reasons = {c["id"]: c["reason"] for c in json.loads(unconfirmed.stdout)["checks"] if c["status"] == "fail"}
    assert reasons["entra.ca.mfa_all_users"] == "break_glass_unconfirmed"
    assert gone.returncode == 3
    assert (tmp_path / "sim" / "client.pem").stat().st_mode & 0o077 == 0


def test_db_stop_says_what_it_did(tmp_path):
    configured = posture("db", "stop", env={"POSTURE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"})
    assert configured.returncode == 0 and "no embedded one to stop" in configured.stderr
    fresh = posture("db", "stop", env={"POSTURE_DATA_DIR": str(tmp_path)})  # never started here
    assert fresh.returncode == 0 and "not running" in fresh.stderr
