"""Build the scanner environment of a worker process from the settings.

The same inputs as ``posture scan --tenant-id`` (CONTRACT.md "Configuration"): authority, Graph
and Exchange URLs, the app's client id with a certificate (preferred) or a secret, and an optional
extra CA bundle. One ``TokenProvider`` per process, shared by its threads (it is thread-safe and
keeps one MSAL app, with its token cache, per tenant).
"""

from __future__ import annotations

from portal.services.scans import ScannerEnvironment
from posture.runtime import ScannerNotConfigured, app_credentials
from posture.settings import Settings
from scanner import Endpoints, TokenProvider

__all__ = ["ScannerNotConfigured", "scanner_environment"]


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
                              ca_bundle=ca_bundle)
