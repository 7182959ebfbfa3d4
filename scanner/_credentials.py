"""The service's app identity and the Microsoft endpoints it talks to, as the scanner receives them.

Decisions:

- Everything comes in as arguments (the scanner reads no environment): the portal's settings build
  these objects once and pass them down.
- Secrets, keys and passphrases are excluded from ``repr`` and equality, so they never print.
- A certificate PEM is read and checked here, at construction, not at the first token request: the key
  must be RSA (Entra client assertions are RS256), readable with the passphrase given, and match one of
  the certificates in the file. The thumbprint is the SHA-1 of the DER certificate, as Entra expects in
  the assertion's ``x5t``. A bad file raises :class:`CredentialInvalid` (platform-wide, like a rejected
  secret) with what is wrong; cryptography's messages name the problem without key material.
- Endpoints are base URLs without version or trailing slash, so national clouds and the simulator use
  the same code path (the Graph client appends ``/v1.0``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from scanner._errors import CredentialInvalid

__all__ = ["AppCredentials", "Endpoints"]


@dataclass(frozen=True)
class AppCredentials:
    """The service's multi-tenant app identity: a client id and a secret or a certificate.

    Args:
        client_id: the app registration's application (client) id.
        client_secret: a client secret; or
        certificate_pem: a PEM blob holding the RSA private key and its certificate.
        passphrase: the private key's passphrase, when it is encrypted.

    Raises:
        ValueError: neither or both of secret and certificate were given.
        CredentialInvalid: the PEM holds no readable key, no matching certificate, or a non-RSA key.
    """

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    certificate_pem: bytes | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)
    _key: rsa.RSAPrivateKey | None = field(default=None, init=False, repr=False, compare=False)
    _thumbprint: str = field(default="", init=False, repr=False, compare=False)
    _not_after: dt.datetime | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.client_id:
            raise ValueError("client_id is required")
        if (self.client_secret is None) == (self.certificate_pem is None):
            raise ValueError("give exactly one of client_secret and certificate_pem")
        if self.certificate_pem is not None:
            key, thumbprint, not_after = _read_certificate(self.certificate_pem, self.passphrase)
            object.__setattr__(self, "_key", key)
            object.__setattr__(self, "_thumbprint", thumbprint)
            object.__setattr__(self, "_not_after", not_after)

    @property
    def thumbprint(self) -> str | None:
        """The certificate's SHA-1 thumbprint in upper-case hex (as the Entra portal shows it)."""
        return self._thumbprint or None

    @property
    def certificate_expires_at(self) -> dt.datetime | None:
        """The certificate's ``notAfter`` (an aware ``datetime``), or ``None`` for a secret."""
        return self._not_after

    def _msal_credential(self) -> str | dict[str, Any]:
        """What MSAL takes: the secret, or the key and the thumbprint.

        The key goes as the loaded key object, not as PEM: MSAL hands it to PyJWT, which would parse
        (and, with OpenSSL 3, validate) the PEM again for every client assertion: a third of a worker's
        CPU when it re-verifies a thousand tenants, each a new MSAL application (bench/reverify.py).
        """
        if self.client_secret is not None:
            return self.client_secret
        return {"private_key": self._key, "thumbprint": self._thumbprint}


def _read_certificate(pem: bytes, passphrase: str | None) -> tuple[rsa.RSAPrivateKey, str, dt.datetime]:
    def invalid(why: str) -> CredentialInvalid:
        return CredentialInvalid(f"The app certificate cannot be used: {why}. Configure a PEM file holding the "
                                 "RSA private key and the certificate uploaded to the app registration.")

    try:
        key = serialization.load_pem_private_key(pem, password=passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        # cryptography's message names the problem (no key, encrypted, bad passphrase); it holds no key material.
        raise invalid(f"the private key could not be read ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise invalid("the private key is not an RSA key (Entra client assertions are RS256)")
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise invalid("it holds no PEM certificate") from None
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    for cert in certificates:
        if cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo) == public:
            return key, cert.fingerprint(hashes.SHA1()).hex().upper(), cert.not_valid_after_utc
    raise invalid("no certificate in it matches the private key")


@dataclass(frozen=True)
class Endpoints:
    """Base URLs (no version, no trailing slash) of the identity service, Graph and Exchange Online."""

    authority_host: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com"
    exchange_url: str = "https://outlook.office365.com"

    def __post_init__(self) -> None:
        for name in ("authority_host", "graph_url", "exchange_url"):
            value = getattr(self, name)
            if not value.startswith(("https://", "http://")):
                raise ValueError(f"{name} must be an http(s) URL, not {value!r}")
            object.__setattr__(self, name, value.rstrip("/"))


