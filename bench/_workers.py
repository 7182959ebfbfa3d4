"""What the fleet benchmarks share: ``posture worker`` started against a scratch database and the simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from portal.db import migrate

__all__ = ["ROOT", "start_workers"]

ROOT = Path(__file__).resolve().parents[1]


def start_workers(owner: str, server, app, pem: Path, *, processes: int, threads: int) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    """``posture worker --processes N --threads M`` on ``owner``'s database, reading the simulator ``server``."""
    key = migrate.read_scope_key(owner)
    env = {**os.environ, "POSTURE_DATABASE_URL": owner, "POSTURE_SCOPE_KEY": key.decode(),
           "POSTURE_AUTHORITY_HOST": server.authority_host,
           "POSTURE_GRAPH_URL": server.graph_url, "POSTURE_EXCHANGE_URL": server.exchange_url,
           "POSTURE_CLIENT_ID": app.client_id, "POSTURE_CLIENT_CERTIFICATE": str(pem),
           "POSTURE_CA_BUNDLE": str(server.ca_cert_path), "POSTURE_DNS_RESOLVER": server.dns_resolver}
    return subprocess.Popen([sys.executable, "-m", "posture", "worker", "--processes", str(processes),
                             "--threads", str(threads)], env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
