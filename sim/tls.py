"""TLS for the simulator: a project CA (made with trustme) and a server certificate for loopback.

MSAL insists on ``https`` authorities, so the simulator speaks real TLS; clients trust it through
the CA bundle written here (``POSTURE_CA_BUNDLE``), never by turning verification off.

Decisions, and why: the CA is kept in a folder (``sim-ca.pem`` + ``sim-ca.key``) and reused when it
is already there, so a demo's CA bundle stays valid across restarts; the server certificate is new
at every start (it costs milliseconds) and names ``127.0.0.1``, ``localhost`` and ``::1``. The CA key
file is written with owner-only permissions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

__all__ = ["CA_FILE", "TlsFiles", "prepare_tls"]

#: Name of the CA certificate file (what clients trust).
CA_FILE = "sim-ca.pem"
_CA_KEY_FILE = "sim-ca.key"


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the CA certificate (for clients) and the server's certificate chain and key."""

    ca_cert_path: Path
    server_cert_path: Path
    server_key_path: Path


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _load_or_create_ca(folder: Path) -> trustme.CA:
    cert_path, key_path = folder / CA_FILE, folder / _CA_KEY_FILE
    if cert_path.is_file() and key_path.is_file():
        return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
    ca = trustme.CA(organization_name="M365 Posture simulator")
    _write_private(key_path, ca.private_key_pem.bytes())
    cert_path.write_bytes(ca.cert_pem.bytes())
    return ca


def prepare_tls(folder: Path) -> TlsFiles:
    """Make (or reuse) the CA in ``folder`` and issue a fresh loopback server certificate there."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = _load_or_create_ca(folder)
    server = ca.issue_cert("127.0.0.1", "localhost", "::1")
    cert_path, key_path = folder / "sim-server.pem", folder / "sim-server.key"
    cert_path.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    _write_private(key_path, server.private_key_pem.bytes())
    return TlsFiles(folder / CA_FILE, cert_path, key_path)
