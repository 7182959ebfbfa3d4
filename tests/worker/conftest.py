"""A real broker, real worker processes, the simulator and a migrated database for the worker tests.

Which broker: ``POSTURE_BROKER_URL`` when set (CI runs the suite once with RabbitMQ and once with
Redis), otherwise the PostgreSQL broker on the test database, as the embedded default runs. For
Redis a namespace of our own keeps runs apart, and a short heartbeat timeout with maintenance on
every command makes a killed worker's message come back within seconds (the defaults take a minute
or more). RabbitMQ queues are purged before each test so a message left by an earlier, interrupted
run cannot reach this run's worker.

Workers are started the way ``posture worker`` starts them (``worker.runner.run_worker``, which
execs Dramatiq's CLI) in their own process group, with the simulator's URLs and the app's
certificate in ``POSTURE_*``; the simulator runs in the test process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from dramatiq import Broker

from config.broker import broker_kind, build_broker, ensure_broker_schema
from config.messages import QUEUES, BrokerScanQueue
from portal.db.engine import role_url
from tests.conftest import ROLES
from tests.portal.services.support import SimWorld, sim_world
from tests.support.database import ROOT

#: Longest wait for a worker to do something observable (boot plus a scan, with room for slow CI).
WAIT_S = 120.0


def _test_broker_url() -> str | None:
    url = os.environ.get("POSTURE_BROKER_URL") or None
    if url and broker_kind(url) == "redis":
        parts = urlsplit(url)
        extra = urlencode({"namespace": f"posture-test-{uuid.uuid4().hex[:12]}", "heartbeat_timeout_ms": 5000,
                           "maintenance_chance": 1_000_000})
        url = urlunsplit(parts._replace(query="&".join(filter(None, [parts.query, extra]))))
    return url


@pytest.fixture(scope="session")
def broker_url() -> str | None:
    return _test_broker_url()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimWorld]:
    with sim_world(tmp_path_factory.mktemp("sim")) as started:
        yield started


@pytest.fixture
def producer(owner_url: str, broker_url: str | None) -> Iterator[Broker]:
    """The test process's side of the broker: sends what the web app would send, as the web role."""
    if broker_kind(broker_url) == "postgresql":
        ensure_broker_schema(broker_url or owner_url, ROLES)
    broker = build_broker(broker_url, role_url(owner_url, ROLES.web), publisher=True)
    if broker_kind(broker_url) == "rabbitmq":
        for queue in QUEUES:
            broker.declare_queue(queue)
        broker.flush_all()
    yield broker
    broker.close()


@pytest.fixture
def scan_queue(producer: Broker) -> BrokerScanQueue:
    return BrokerScanQueue(producer)


class WorkerProcess:
    """One ``posture worker``-style process tree (Dramatiq's main process and its worker process)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        code = ("from config.settings import load_settings; from worker.runner import run_worker; "
                "run_worker(load_settings(), processes=1, threads=2, schedule=False)")
        self.process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole group at once: no graceful shutdown, no acknowledgement, as a crashed host."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Graceful stop: running messages finish, then the processes exit.

        SIGTERM goes to Dramatiq's main process only, which forwards it once to its workers; a
        second SIGTERM (as a group-wide signal would cause) makes a worker exit at once.
        """
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._log.close()


@pytest.fixture
def start_worker(owner_url: str, broker_url: str | None, world: SimWorld, scope_key: bytes, producer: Broker,
                 tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start worker processes on demand; every one started is stopped at the end of the test."""
    started: list[WorkerProcess] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTURE_")}
    env.update(world.env())
    env["POSTURE_DATABASE_URL"] = owner_url
    env["POSTURE_SCOPE_KEY"] = scope_key.decode()
    if broker_url:
        env["POSTURE_BROKER_URL"] = broker_url

    def start(**overrides: str | None) -> WorkerProcess:
        """Start one; ``overrides`` change (or, with None, remove) environment variables."""
        changed = {**env, **{k: v for k, v in overrides.items() if v is not None}}
        for name in (k for k, v in overrides.items() if v is None):
            changed.pop(name, None)
        worker = WorkerProcess(changed, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(condition: Callable[[], object], what: str, *workers: WorkerProcess) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` (with the workers' logs) if it never is."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        if any(worker.process.poll() is not None for worker in workers):
            pytest.fail(f"a worker exited while waiting for {what}:\n{_tails(workers)}")
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}; worker log tail:\n{_tails(workers)}")


def _tails(workers: tuple[WorkerProcess, ...]) -> str:
    return "\n".join(w.log()[-4000:] for w in workers)
