"""The service's configuration: one typed object read from ``POSTURE_*`` environment variables.

Loaded once at each entry point (the CLI, later the web app factory and the worker boot) and
passed down; nothing reads it at import time, and the scanner never reads it at all (it takes
explicit arguments). Names are fixed by CONTRACT.md ("Configuration").

Secrets are ``SecretStr`` (they never print) or paths to files (``POSTURE_CLIENT_CERTIFICATE``):
a secret is never stored in the database in clear, never logged. Any setting can also come from a
file named after its variable in lower case (``posture_client_secret``) in the folder named by
``POSTURE_SECRETS_DIR`` (Docker and Kubernetes secrets are mounted that way); the environment wins.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scanner import parse_resolver

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """Every setting, grouped by concern. Each maps to ``POSTURE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="POSTURE_", extra="ignore")

    # Microsoft endpoints: national clouds and the simulator go through the same code.
    authority_host: str = "https://login.microsoftonline.com"
    """Entra ID authority host; the tenant id is appended."""
    graph_url: str = "https://graph.microsoft.com"
    """Graph base URL; the scanner appends /v1.0."""
    exchange_url: str = "https://outlook.office365.com"
    """Exchange Online base URL for the admin API (InvokeCommand) and its token audience."""
    ca_bundle: Path | None = None
    """Extra CA certificates (PEM) to trust for those endpoints, on top of the system store."""
    dns_resolver: str | None = None
    """DNS resolvers for the SPF, DKIM and DMARC checks, ``host[:port], ...``; unset: the host's own;
    ``none``: no lookups (those checks report an error)."""

    # The service's multi-tenant app registration.
    client_id: str | None = None
    """Application (client) id of the multi-tenant app registration."""
    client_secret: SecretStr | None = None
    """Client secret; prefer a certificate in production."""
    client_certificate: Path | None = None
    """PEM file holding the private key and the certificate registered on the app."""
    client_certificate_passphrase: SecretStr | None = None
    """Passphrase of the private key, if it is encrypted."""

    # Data and queue. URLs may hold passwords: they are secrets, never printed (use get_secret_value()).
    data_dir: Path = Path("data")
    """Folder for the embedded database, generated certificates, the local scope key and reports."""
    database_url: SecretStr | None = None
    """PostgreSQL URL of the owner role (migrations); unset means the embedded cluster under data_dir."""
    database_role_prefix: str = "posture"
    """Prefix of the roles the portal and workers log in as (<prefix>_web, <prefix>_worker)."""
    web_database_url: SecretStr | None = None
    """URL the portal logs in with; default: database_url's server with the <prefix>_web role."""
    web_database_password: SecretStr | None = None
    """Password ``posture migrate`` gives the web role, and the portal logs in with."""
    worker_database_url: SecretStr | None = None
    """URL the workers log in with; default: database_url's server with the <prefix>_worker role."""
    worker_database_password: SecretStr | None = None
    """Password ``posture migrate`` gives the worker role, and the workers log in with."""
    scope_key: SecretStr | None = None
    """Key (32 characters or more) the portal and workers sign row-level security scopes with; the same
    everywhere, stored in the database by ``posture migrate``. Unset: generated once in data_dir/scope.key."""
    broker_url: SecretStr | None = None
    """Dramatiq broker URL; unset means the PostgreSQL-backed broker."""
    worker_threads: int = Field(8, ge=1, le=256)
    """Threads per worker process; ``posture worker --threads`` sets it for its processes, which size
    their database pool from it (a scan holds two connections: its claim and its transaction)."""
    connection_recheck_s: int = Field(600, ge=5, le=3000)
    """Seconds after a customer's first failed connection (consent revoked, app disabled) before a
    worker checks it again; a second failure in a row marks the customer disconnected."""

    # Outgoing mail (password resets, invitations, report summaries).
    smtp_host: str | None = None
    """SMTP relay; unset means the portal sends no mail (and says so where a mail would go)."""
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    """``starttls`` (587), ``tls`` (implicit, 465) or ``none`` (a relay on loopback)."""
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    """Prefer a secrets-dir file (``posture_smtp_password``)."""
    mail_from: str = "posture@localhost"
    """The From address of every mail."""

    # Alerts.
    alerts_allow_private_targets: bool = False
    """Let alert webhooks reach private and loopback addresses over http: the demo and tests only. Off,
    a webhook must be https to a public address (``portal.services.alerts._targets``)."""

    # The portal.
    public_url: str | None = None
    """The portal's address as users reach it (https://posture.example.com). An https address makes
    cookies Secure and turns HSTS on; unset means a local http portal (the demo)."""

    @field_validator("dns_resolver")
    @classmethod
    def _valid_dns_resolver(cls, value: str | None) -> str | None:
        parse_resolver(value)  # a bad port is refused at start, not at the first scan
        return value


def load_settings() -> Settings:
    """Read the environment (and ``POSTURE_SECRETS_DIR``) now, not at import."""
    secrets_dir = os.environ.get("POSTURE_SECRETS_DIR")
    return Settings(_secrets_dir=secrets_dir) if secrets_dir else Settings()  # type: ignore[call-arg]
