"""Where the running service finds its database: configured, or the embedded cluster.

Every entry point (``posture migrate``, ``posture worker``, ``posture demo``) resolves the database
the same way: ``POSTURE_DATABASE_URL`` when set, otherwise a private PostgreSQL cluster under
``POSTURE_DATA_DIR`` (``data/`` by default), started on first use.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from portal.db.engine import app_url, make_engine
from posture.settings import Settings
from scanner import AppCredentials

__all__ = ["ScannerNotConfigured", "app_credentials", "app_engine", "owner_url"]


class ScannerNotConfigured(Exception):
    """No usable app credentials in the settings; the message says what to set."""


def app_credentials(settings: Settings) -> AppCredentials:
    """The service app's credentials: a certificate (preferred) or a secret.

    Raises:
        ScannerNotConfigured: no client id, neither a certificate nor a secret, or an unreadable file.
        CredentialInvalid: the certificate file holds no usable key and certificate.
    """
    if not settings.client_id:
        raise ScannerNotConfigured("POSTURE_CLIENT_ID is not set: configure the service's app registration (README)")
    if settings.client_certificate:
        try:
            pem = Path(settings.client_certificate).read_bytes()
        except OSError as exc:
            raise ScannerNotConfigured(f"cannot read POSTURE_CLIENT_CERTIFICATE {settings.client_certificate}: "
                                       f"{exc.strerror}") from exc
        passphrase = settings.client_certificate_passphrase
        return AppCredentials(client_id=settings.client_id, certificate_pem=pem,
                              passphrase=passphrase.get_secret_value() if passphrase else None)
    if settings.client_secret:
        return AppCredentials(client_id=settings.client_id, client_secret=settings.client_secret.get_secret_value())
    raise ScannerNotConfigured("set POSTURE_CLIENT_CERTIFICATE (recommended) or POSTURE_CLIENT_SECRET")


def owner_url(settings: Settings) -> str:
    """The owner URL: configured, or the embedded cluster's (started if needed)."""
    if settings.database_url:
        return settings.database_url
    from portal.db.embedded import EmbeddedCluster

    return EmbeddedCluster(settings.data_dir.resolve() / "postgres").ensure_running()


def app_engine(settings: Settings, owner: str | None = None) -> Engine:
    """An engine logged in as the application role (row-level security applies)."""
    password = settings.app_database_password.get_secret_value() if settings.app_database_password else None
    return make_engine(app_url(owner or owner_url(settings), explicit=settings.app_database_url, password=password))
