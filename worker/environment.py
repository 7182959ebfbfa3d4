"""Build the scanner environment of a worker process from the settings.

The same inputs as ``posture scan --tenant-id`` (CONTRACT.md "Configuration"): authority, Graph
and Exchange URLs, the app's client id with a certificate (preferred) or a secret, and an optional
extra CA bundle. One ``TokenProvider`` per process, shared by its threads (it is thread-safe and
keeps one MSAL app, with its token cache, per tenant).
"""

from __future__ import annotations

from pathlib import Path

from portal.services.scans import ScannerEnvironment
from posture.settings import Settings
from scanner import AppCredentials, Endpoints, TokenProvider

__all__ = ["ScannerNotConfigured", "scanner_environment"]


class ScannerNotConfigured(Exception):
    """The worker has no usable app credentials; the message says what to set."""


def scanner_environment(settings: Settings) -> ScannerEnvironment:
    """The token provider and endpoints scans use.

    Raises:
        ScannerNotConfigured: no client id, or neither a certificate nor a secret, or an unreadable file.
        CredentialInvalid: the certificate file holds no usable key and certificate.
    """
    ca_bundle = str(settings.ca_bundle) if settings.ca_bundle else None
    tokens = TokenProvider(
        _credentials(settings),
        Endpoints(settings.authority_host, settings.graph_url, settings.exchange_url),
        ca_bundle=ca_bundle,
    )
    return ScannerEnvironment(tokens=tokens, graph_url=settings.graph_url, exchange_url=settings.exchange_url,
                              ca_bundle=ca_bundle)


def _credentials(settings: Settings) -> AppCredentials:
    if not settings.client_id:
        raise ScannerNotConfigured("POSTURE_CLIENT_ID is not set: configure the service's app registration")
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
