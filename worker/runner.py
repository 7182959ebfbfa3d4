"""Start the workers: what ``posture worker`` runs.

:func:`run_worker` replaces the calling process with Dramatiq's CLI
(``python -m dramatiq worker.app:boot --processes N --threads M --queues scans schedules``), which
forks the worker processes, restarts none, forwards SIGTERM/SIGINT for a graceful stop (running
messages finish; unacknowledged ones go back to the broker) and serialises their logs on stderr.
``exec`` rather than a child process so signals reach Dramatiq directly and the exit status is its.

Every worker process reads the same ``POSTURE_*`` environment (``worker.app.boot``); the settings
passed here are only checked before the exec (an unsupported broker URL fails now, in the
caller's terminal, rather than once per worker process).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

from config.broker import broker_kind
from config.messages import QUEUES
from config.settings import Settings

__all__ = ["run_worker", "worker_command"]

#: The folder holding the ``worker`` package, put on the workers' import path.
_ROOT = Path(__file__).resolve().parent.parent


def worker_command(processes: int = 1, threads: int = 8, *, schedule: bool = True) -> list[str]:
    """The Dramatiq command line for ``processes`` worker processes of ``threads`` threads each.

    Args:
        schedule: also run the schedule ticker (``worker.ticker``) as a fork process.

    Raises:
        ValueError: fewer than one process or thread.
    """
    if processes < 1 or threads < 1:
        raise ValueError(f"processes and threads must be at least 1 (got {processes} and {threads})")
    command = [sys.executable, "-m", "dramatiq", "worker.app:boot", "--processes", str(processes),
               "--threads", str(threads), "--path", str(_ROOT), "--queues", *QUEUES]
    if schedule:
        command += ["--fork-function", "worker.ticker:tick_schedules"]
    return command


def run_worker(
    settings: Settings | None = None, *, processes: int = 1, threads: int = 8, schedule: bool = True,
) -> NoReturn:
    """Become the Dramatiq worker (never returns; the process exits with Dramatiq's status).

    Raises:
        ValueError: an unsupported ``POSTURE_BROKER_URL``, or fewer than one process or thread.
    """
    if settings is not None:
        broker_kind(settings.broker_url.get_secret_value() if settings.broker_url else None)
    command = worker_command(processes, threads, schedule=schedule)
    os.environ["POSTURE_WORKER_THREADS"] = str(threads)  # each process sizes its database pool from it
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
