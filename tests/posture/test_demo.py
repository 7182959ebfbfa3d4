"""`posture demo --once`: database, migrations, simulator fleet, a real worker process, fleet summary."""

from __future__ import annotations

import os
import subprocess
import sys

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


def _run_demo_and_check(owner_url, owner_engine, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTURE_") or k == "POSTURE_BROKER_URL"}
    env.update(POSTURE_DATABASE_URL=owner_url, POSTURE_DATA_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "posture", "demo", "--once", "--tenants", "4"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Fleet" in proc.stdout
    with owner_engine.connect() as connection:
        statuses = connection.execute(text("SELECT status::text FROM scans")).scalars().all()
        names = connection.execute(text("SELECT name FROM customers")).scalars().all()
        results = connection.execute(text("SELECT count(*) FROM check_results")).scalar()
    assert len(names) == 4 and all(name in proc.stdout for name in names)
    # The first four of the demo fleet are typical, secure, neglected and free: all reachable.
    assert statuses == ["completed"] * 4
    assert results > 0
    assert (tmp_path / "demo" / "client.pem").stat().st_mode & 0o077 == 0
