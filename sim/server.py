"""``SimServer``: the simulator on a real loopback port, in a background thread.

Decisions, and why:
- The listening socket is bound here (port 0: the OS picks a free port) and handed to uvicorn, so
  the port is known before the server starts and two servers never race for one.
- uvicorn runs in a daemon thread with its own event loop; ``start`` returns only when a TCP
  connection to the port succeeds, so callers can send requests at once. ``stop`` asks uvicorn to
  exit, gives open connections a second, then forces the exit (a client's idle TLS keep-alive
  connection would otherwise hold shutdown for the whole graceful timeout).
- The h11 protocol is pinned: dropped-connection faults rely on its behaviour when an app returns
  without finishing a response (it closes the connection). Its log line for that case is filtered
  out, because there it is intended.
- Without a ``ca_dir`` the TLS files go to a temporary folder removed by ``stop``.
- The tenants' public DNS (``sim.dns``) starts and stops with it, on a UDP port of the same host:
  ``dns_resolver`` is what ``POSTURE_DNS_RESOLVER`` should be.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import ssl
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from sim.app import create_app
from sim.dns import SimDnsServer
from sim.state import SimState
from sim.tls import prepare_tls

__all__ = ["SimServer"]


class _DroppedResponseFilter(logging.Filter):
    """Hide uvicorn's error line for responses the fault injector cut short on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


_DROP_FILTER = _DroppedResponseFilter()


class SimServer:
    """The simulator, serving ``state`` at ``base_url`` until ``stop`` (or the end of a ``with`` block)."""

    def __init__(self, state: SimState, host: str = "127.0.0.1", port: int = 0, tls: bool = True,
                 ca_dir: Path | str | None = None, start_timeout_s: float = 10.0) -> None:
        self.state = state
        self.host = host
        self.tls = tls
        self._requested_port = port
        self._ca_dir = Path(ca_dir) if ca_dir is not None else None
        self._temp_dir: Path | None = None
        self._start_timeout_s = start_timeout_s
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0
        self.ca_cert_path: Path | None = None
        self.dns = SimDnsServer(state, host)

    # URLs ------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def authority_host(self) -> str:
        """What ``POSTURE_AUTHORITY_HOST`` should be (identity lives at the root)."""
        return self.base_url

    @property
    def graph_url(self) -> str:
        """What ``POSTURE_GRAPH_URL`` should be (the client appends ``/v1.0``)."""
        return self.base_url + "/graph"

    @property
    def exchange_url(self) -> str:
        """What ``POSTURE_EXCHANGE_URL`` should be."""
        return self.base_url + "/exchange"

    @property
    def dns_resolver(self) -> str:
        """What ``POSTURE_DNS_RESOLVER`` should be (the simulated tenants' public DNS)."""
        return self.dns.address

    def ssl_context(self) -> ssl.SSLContext:
        """A client-side context trusting the simulator's CA (for ``httpx.Client(verify=...)``)."""
        if self.ca_cert_path is None:
            raise RuntimeError("the simulator runs without TLS (or has not started)")
        return ssl.create_default_context(cafile=str(self.ca_cert_path))

    def cpu_s(self) -> float:
        """CPU seconds the server's thread has used so far (benchmarks report the simulator apart)."""
        if self._thread is None or self._thread.ident is None:
            return 0.0
        return time.clock_gettime(time.pthread_getcpuclockid(self._thread.ident))

    # Lifecycle -------------------------------------------------------------------------------------
    def start(self) -> SimServer:
        """Start serving; returns when the port accepts connections.

        Raises:
            RuntimeError: the server did not come up within ``start_timeout_s``.
        """
        if self._thread is not None:
            raise RuntimeError("SimServer is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only when the proto says TCP;
        # without it every response waits ~40 ms for a delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        sock.listen(128)
        self._socket = sock
        self.port = sock.getsockname()[1]
        ssl_options: dict[str, Any] = {}
        if self.tls:
            folder = self._ca_dir
            if folder is None:
                folder = self._temp_dir = Path(tempfile.mkdtemp(prefix="posture-sim-"))
            files = prepare_tls(folder)
            self.ca_cert_path = files.ca_cert_path
            ssl_options = {"ssl_certfile": str(files.server_cert_path), "ssl_keyfile": str(files.server_key_path)}
        logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)
        config = uvicorn.Config(create_app(self.state), http="h11", lifespan="off", log_level="warning",
                                access_log=False, timeout_graceful_shutdown=5, **ssl_options)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"posture-sim-{self.port}", daemon=True)
        self._thread.start()
        self._wait_until_ready()
        self.dns.start()
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline:
            if self._server is not None and self._server.started:
                try:
                    with socket.create_connection((self.host, self.port), timeout=1):
                        return
                except OSError:
                    pass
            if self._thread is not None and not self._thread.is_alive():
                break
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"the simulator did not start on {self.host}:{self.port}")

    def stop(self) -> None:
        """Stop serving and release the port (and the temporary TLS folder)."""
        self.dns.stop()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            if self._thread.is_alive() and self._server is not None:
                # Idle TLS keep-alive connections wait for the client's close_notify; do not wait for them.
                self._server.force_exit = True
                self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
