"""The embedded cluster: initdb on first use, restart on the same data, port handling, concurrency.

One real cluster serves the module (initdb costs about a second). It lives in a folder this module
makes with ``tempfile.mkdtemp`` and opens to others (0755): pytest's own ``tmp_path`` sits under a
0700 ``/tmp/pytest-of-<user>``, which the ``postgres`` user cannot enter when the tests run as root,
and the cluster must never chmod a parent itself.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest

from portal.db import embedded
from portal.db.embedded import EmbeddedCluster, EmbeddedClusterError
from tests.support.database import ROOT


@contextmanager
def _open_folder() -> Iterator[Path]:
    """A new folder under the system temp folder that every user may enter (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="posture-embedded-test-"))
    try:
        folder.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder)


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with _open_folder() as parent:
        cluster = EmbeddedCluster(parent / "cluster")
        cluster.ensure_running()
        try:
            yield cluster
        finally:
            cluster.stop()


@pytest.fixture
def open_folder() -> Iterator[Path]:
    with _open_folder() as folder:
        yield folder


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    connection = psycopg2.connect(url)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def test_first_use_initialises_and_returns_an_owner_url(cluster: EmbeddedCluster) -> None:
    port = int((cluster.data_dir / "port").read_text())

    assert cluster.url == f"postgresql://postgres@127.0.0.1:{port}/postgres"
    assert cluster.is_running()
    assert _query(cluster.url, "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user") == [
        ("postgres", True)]


def test_listens_on_loopback_with_socket_and_log_inside_data_dir(cluster: EmbeddedCluster) -> None:
    settings = dict(_query(cluster.url, "SELECT name, setting FROM pg_settings WHERE name IN "
                                        "('listen_addresses', 'unix_socket_directories', 'port')"))

    assert settings["listen_addresses"] == "127.0.0.1"
    assert settings["unix_socket_directories"] == str(cluster.data_dir / "run")
    assert settings["port"] == (cluster.data_dir / "port").read_text().strip()
    assert (cluster.data_dir / "log" / "postgresql.log").stat().st_size > 0
    # The socket answers too (libpq takes a folder as host).
    socket_url = f"postgresql://postgres@/postgres?host={cluster.data_dir / 'run'}&port={settings['port']}"
    assert _query(socket_url, "SELECT 1") == [(1,)]


def test_authentication_is_trust_for_local_and_loopback_only(cluster: EmbeddedCluster) -> None:
    rules = _query(cluster.url, "SELECT type, address, auth_method FROM pg_hba_file_rules ORDER BY line_number")

    assert rules == [("local", None, "trust"), ("host", "127.0.0.1", "trust")]


def test_pgdata_belongs_to_the_user_the_server_runs_as(cluster: EmbeddedCluster) -> None:
    expected = pwd.getpwnam(embedded.SERVER_USER).pw_uid if os.geteuid() == 0 else os.geteuid()

    assert cluster.pgdata.stat().st_uid == expected
    assert (cluster.pgdata / "postgresql.conf").stat().st_uid == expected
    assert (cluster.data_dir / "run").stat().st_uid == expected
    assert (cluster.data_dir / "log").stat().st_uid == expected


def test_nothing_is_created_beside_data_dir(cluster: EmbeddedCluster) -> None:
    assert [p.name for p in cluster.data_dir.parent.iterdir()] == ["cluster"]
    assert sorted(p.name for p in cluster.data_dir.iterdir()) == [".lock", "log", "pgdata", "port", "run"]


def test_ensure_running_on_a_running_cluster_is_a_no_op(cluster: EmbeddedCluster) -> None:
    pid_before = (cluster.pgdata / "postmaster.pid").read_text().split("\n")[0]

    assert EmbeddedCluster(cluster.data_dir).ensure_running() == cluster.url
    assert (cluster.pgdata / "postmaster.pid").read_text().split("\n")[0] == pid_before


def test_data_and_port_survive_a_stop_and_start(cluster: EmbeddedCluster) -> None:
    _query(cluster.url, "CREATE TABLE survives (v text); INSERT INTO survives VALUES ('kept')")
    url = cluster.url

    cluster.stop()
    assert not cluster.is_running()
    assert not (cluster.pgdata / "postmaster.pid").exists()
    cluster.stop()  # stopping a stopped cluster is a no-op

    assert cluster.ensure_running() == url  # the remembered port is reused
    assert cluster.is_running()
    assert _query(url, "SELECT v FROM survives") == [("kept",)]
    _query(url, "DROP TABLE survives")


def test_a_taken_port_is_replaced_and_remembered(cluster: EmbeddedCluster) -> None:
    old_port = int((cluster.data_dir / "port").read_text())
    cluster.stop()
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the server's closed sockets may linger
        squatter.bind(("127.0.0.1", old_port))
        squatter.listen()

        url = cluster.ensure_running()

    new_port = int((cluster.data_dir / "port").read_text())
    assert new_port != old_port
    assert url == f"postgresql://postgres@127.0.0.1:{new_port}/postgres"
    assert f"\nport = {new_port}\n" in (cluster.pgdata / "postgresql.conf").read_text()
    assert _query(url, "SHOW port") == [(str(new_port),)]


def test_own_settings_in_postgresql_conf_survive_and_ours_win(cluster: EmbeddedCluster) -> None:
    cluster.stop()
    with (cluster.pgdata / "postgresql.conf").open("a") as conf:  # appending keeps the file's owner
        conf.write("work_mem = '7MB'\nport = 1\n")

    url = cluster.ensure_running()

    assert _query(url, "SELECT current_setting('work_mem'), current_setting('port')") == [
        ("7MB", (cluster.data_dir / "port").read_text().strip())]
    assert "port = 1\n" not in (cluster.pgdata / "postgresql.conf").read_text()


def test_a_failed_start_says_why_with_the_end_of_the_log(cluster: EmbeddedCluster) -> None:
    cluster.stop()
    conf = cluster.pgdata / "postgresql.conf"
    original = conf.read_text()
    with conf.open("a") as handle:
        handle.write("shared_buffers = 'plenty'\n")
    try:
        with pytest.raises(EmbeddedClusterError, match=r"(?s)pg_ctl start .*end of .*postgresql\.log.*shared_buffers"):
            cluster.ensure_running()
        assert not cluster.is_running()
    finally:
        with conf.open("r+") as handle:
            handle.write(original)
            handle.truncate()
    assert cluster.ensure_running() == cluster.url


def test_data_from_another_major_version_is_refused_clearly(cluster: EmbeddedCluster) -> None:
    cluster.stop()
    version_file = cluster.pgdata / "PG_VERSION"
    real = version_file.read_text()
    version_file.write_text("9\n")
    try:
        with pytest.raises(EmbeddedClusterError, match=f"made by PostgreSQL 9 .* version {real.strip()}.*delete"):
            cluster.ensure_running()
    finally:
        version_file.write_text(real)
    assert cluster.ensure_running() == cluster.url


def test_concurrent_callers_in_other_processes_start_it_once(cluster: EmbeddedCluster) -> None:
    cluster.stop()
    log = cluster.data_dir / "log" / "postgresql.log"
    starts_before = log.read_text().count("ready to accept connections")
    program = ("import sys; from pathlib import Path; from portal.db.embedded import EmbeddedCluster; "
               "print(EmbeddedCluster(Path(sys.argv[1])).ensure_running())")

    def start() -> str:
        result = subprocess.run([sys.executable, "-c", program, str(cluster.data_dir)], cwd=ROOT,
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    with ThreadPoolExecutor(max_workers=4) as pool:
        urls = set(pool.map(lambda _: start(), range(4)))

    assert urls == {cluster.url}
    assert cluster.is_running()
    assert log.read_text().count("ready to accept connections") == starts_before + 1
    assert _query(cluster.url, "SELECT 1") == [(1,)]


def test_an_unused_folder_has_no_url_and_is_not_running(tmp_path: Path) -> None:
    cluster = EmbeddedCluster(tmp_path / "never")

    assert not cluster.is_running()
    cluster.stop()
    with pytest.raises(EmbeddedClusterError, match="ensure_running"):
        _ = cluster.url
    assert not (tmp_path / "never").exists()


def _stranger() -> pwd.struct_passwd:
    # As root the server runs as another user; stand one in that owns nothing here.
    return pwd.struct_passwd(("posture-stranger", "x", 54_321, 54_321, "", "/", "/bin/false"))


def test_refuses_when_neither_data_dir_nor_the_spill_root_is_reachable_and_creates_nothing(open_folder: Path) -> None:
    closed = open_folder / "closed"
    closed.mkdir(mode=0o700)
    cluster = EmbeddedCluster(closed / "deeper" / "cluster", spill_root=closed / "spill")
    cluster._runtime = embedded._Runtime(Path("/nonexistent"), _stranger())

    with pytest.raises(EmbeddedClusterError, match=f"cannot enter {closed}.*POSTURE_DATABASE_URL"):
        cluster.ensure_running()
    assert list(closed.iterdir()) == []
    assert closed.stat().st_mode & 0o777 == 0o700


def test_a_data_dir_under_a_closed_folder_still_runs_the_cluster(open_folder: Path) -> None:
    # A clone under /root (0700) as root, the usual case in containers: the server cannot enter it.
    closed = open_folder / "home"
    closed.mkdir(mode=0o700)
    spill = open_folder / "spill"
    spill.mkdir(mode=0o1777)
    cluster = EmbeddedCluster(closed / "project" / "data" / "postgres", spill_root=spill)
    try:
        url = cluster.ensure_running()
        assert _query(url, "SELECT 1") == [(1,)]
        as_root = os.geteuid() == 0
        assert cluster.relocated == as_root
        if as_root:
            assert cluster.server_dir.parent == spill
            assert cluster.server_dir.stat().st_mode & 0o777 == 0o700
            assert (closed / "project" / "data" / "postgres" / "server-dir").read_text().strip() == \
                str(cluster.server_dir)
            assert closed.stat().st_mode & 0o777 == 0o700  # nothing was opened up
        # A second object for the same folder (another process) finds the same cluster.
        assert EmbeddedCluster(cluster.data_dir, spill_root=spill).ensure_running() == url
    finally:
        cluster.stop()
        if cluster.relocated:
            shutil.rmtree(cluster.server_dir)


def test_a_spill_folder_someone_else_prepared_is_refused(open_folder: Path) -> None:
    closed = open_folder / "home"
    closed.mkdir(mode=0o700)
    spill = open_folder / "spill"
    spill.mkdir(mode=0o777)
    cluster = EmbeddedCluster(closed / "data", spill_root=spill)
    stranger = _stranger()
    cluster._runtime = embedded._Runtime(Path("/nonexistent"), stranger)
    digest = embedded.hashlib.sha256(str(cluster.data_dir).encode()).hexdigest()[:16]
    (spill / f"posture-{stranger.pw_name}-{digest}").symlink_to(open_folder)

    with pytest.raises(EmbeddedClusterError, match="not made by this program"):
        cluster.ensure_running()
    assert not (cluster.data_dir / "server-dir").exists()


def test_traversal_follows_owner_group_and_other_bits(open_folder: Path) -> None:
    folder = open_folder / "f"
    folder.mkdir()
    target = folder / "data"
    owner, group = folder.stat().st_uid, folder.stat().st_gid

    folder.chmod(0o750)
    assert embedded._untraversable_ancestor(target, 54_321, [54_321]) == folder
    assert embedded._untraversable_ancestor(target, 54_321, [group]) is None
    folder.chmod(0o700)
    assert embedded._untraversable_ancestor(target, owner, []) is None
    folder.chmod(0o701)
    assert embedded._untraversable_ancestor(target, 54_321, [54_321]) is None


def test_the_wheel_ships_the_binaries_it_needs() -> None:
    bin_dir = embedded._wheel_bin_dir()

    assert bin_dir is not None
    version = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("postgres (PostgreSQL) ")
