"""The service's app registration and the Microsoft endpoints, as the scanner wants them.

The same inputs as ``posture scan --tenant-id`` (CONTRACT.md "Configuration"): authority, Graph
and Exchange URLs, the app's client id with a certificate (preferred) or a secret, and an optional
extra CA bundle. Workers build one :func:`scanner_environment` per process: one ``TokenProvider``,
shared by its threads (it is thread-safe and keeps one MSAL app, with its token cache, per tenant).
"""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from portal.services.scans import ScannerEnvironment
from scanner import AppCredentials, Endpoints, TokenProvider

__all__ = ["ScannerNotConfigured", "app_credentials", "scanner_environment"]


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


def scanner_environment(settings: Settings) -> ScannerEnvironment:
    """The token provider and endpoints scans use.

    Raises:
        ScannerNotConfigured: no client id, or neither a certificate nor a secret, or an unreadable file.
        CredentialInvalid: the certificate file holds no usable key and certificate.
    """
    ca_bundle = str(settings.ca_bundle) if settings.ca_bundle else None
    tokens = TokenProvider(
        app_credentials(settings),
        Endpoints(settings.authority_host, settings.graph_url, settings.exchange_url),
        ca_bundle=ca_bundle,
    )
    return ScannerEnvironment(tokens=tokens, graph_url=settings.graph_url, exchange_url=settings.exchange_url,
                              ca_bundle=ca_bundle, dns_resolver=settings.dns_resolver)
