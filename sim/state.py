"""The simulator's mutable world: tenants, the service's app registration, issued tokens, faults, the log.

One ``SimState`` is shared by every HTTP handler (and by tests and the control API, which change it
while the server runs: every method is thread-safe, because uvicorn runs in its own thread).

Decisions, and why:
- Access tokens are opaque random strings mapped here to (tenant, audience, roles snapshot, expiry).
  The product must never parse Microsoft's access tokens (Microsoft says so), so a JWT would only
  invite that; the snapshot of roles at issue time reproduces Entra's rule that permission changes
  reach only tokens issued later (``remove_permission``).
- Deleting or disabling the enterprise app (``revoke_consent``, ``disable_app``) forgets the tenant's
  issued tokens at once, so Graph answers 401 right away. Entra's JWTs would live on until expiry;
  answering at once makes the disconnect observable in tests without waiting an hour.
- ``ServiceApp`` builders return the client-side secret (or private key + certificate PEM) beside the
  app, because the server side only ever keeps the public half of a certificate.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sim.faults import FaultConfig, FaultInjector
from sim.tenant import Tenant

__all__ = ["EXCHANGE_ROLES", "Audience", "IssuedToken", "RequestLog", "ServiceApp", "SimState"]

#: Which API a token is for.
Audience = Literal["graph", "exchange"]

#: App roles that belong to Office 365 Exchange Online rather than Microsoft Graph.
EXCHANGE_ROLES = frozenset({"Exchange.ManageAsApp", "full_access_as_app", "Mail.Read"})

#: Request-log kinds that are always reported (zero when nothing happened).
LOG_KINDS = ("identity", "graph", "batch", "batch_subrequest", "exchange", "fault_429", "fault_503",
             "fault_504", "fault_drop")


@dataclass(frozen=True)
class ServiceApp:
    """The service's multi-tenant app registration (one for the whole product).

    Attributes:
        secret: the client secret, if the app authenticates with one.
        certificate_pem: the *public* certificate (PEM) registered on the app, if any.
        redirect_uris: where admin consent may redirect (exact match, as Entra requires).
        required_permissions: the application permissions admin consent grants (``/.default``).
    """

    client_id: str
    redirect_uris: tuple[str, ...] = ()
    required_permissions: frozenset[str] = frozenset()
    secret: str | None = None
    certificate_pem: str | None = None
    display_name: str = "M365 Posture Scanner"

    @classmethod
    def with_secret(cls, redirect_uris: Iterable[str] = (), required_permissions: Iterable[str] = (),
                    client_id: str | None = None) -> tuple[ServiceApp, str]:
        """A new app with a fresh client secret. Returns the app and the secret."""
        secret = secrets.token_urlsafe(30)
        app = cls(client_id or str(uuid.uuid4()), tuple(redirect_uris), frozenset(required_permissions), secret=secret)
        return app, secret

    @classmethod
    def with_certificate(cls, redirect_uris: Iterable[str] = (), required_permissions: Iterable[str] = (),
                         client_id: str | None = None) -> tuple[ServiceApp, str]:
        """A new app with a fresh self-signed RSA certificate.

        Returns the app (holding only the public certificate) and the client-side PEM: the
        private key followed by the certificate, the layout ``POSTURE_CLIENT_CERTIFICATE`` names.
        """
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "posture-sim-client")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        app = cls(client_id or str(uuid.uuid4()), tuple(redirect_uris), frozenset(required_permissions),
                  certificate_pem=cert_pem)
        return app, key_pem + cert_pem

    def certificate(self) -> x509.Certificate | None:
        """The registered certificate, parsed."""
        if self.certificate_pem is None:
            return None
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())

    def thumbprints(self) -> tuple[str, str] | None:
        """(SHA-1, SHA-256) thumbprints of the certificate, lower-case hex; None without one."""
        cert = self.certificate()
        if cert is None:
            return None
        der = cert.public_bytes(serialization.Encoding.DER)
        return hashlib.sha1(der).hexdigest(), hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """What an opaque access token stands for, frozen when it was issued."""

    value: str
    tenant_id: str
    audience: Audience
    roles: frozenset[str]
    expires_at: float
    client_id: str

    def is_expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires_at


class RequestLog:
    """Counts per tenant and kind, and the last request lines. Thread-safe."""

    def __init__(self, max_lines: int = 1000) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, collections.Counter[str]] = {}
        self._lines: collections.deque[dict[str, Any]] = collections.deque(maxlen=max_lines)

    def count(self, tenant_id: str, kind: str) -> None:
        """Add one to a tenant's counter (``tenant_id`` is ``"-"`` when no tenant could be told)."""
        with self._lock:
            self._counts.setdefault(tenant_id, collections.Counter())[kind] += 1

    def line(self, method: str, path: str, status: int, tenant_id: str, kind: str) -> None:
        """Remember one request (status 0 for a dropped connection)."""
        with self._lock:
            self._lines.append({"method": method, "path": path, "status": status, "tenant": tenant_id,
                                "kind": kind, "time": time.time()})

    def counts(self, tenant_id: str | None = None) -> dict[str, Any]:
        """Counts of one tenant (kind -> n, every known kind present) or of all (tenant -> kind -> n)."""
        with self._lock:
            if tenant_id is not None:
                found = self._counts.get(tenant_id, collections.Counter())
                return {k: found.get(k, 0) for k in (*LOG_KINDS, *sorted(set(found) - set(LOG_KINDS)))}
            return {t: dict(c) for t, c in self._counts.items()}

    def total(self, kind: str) -> int:
        """One kind summed over every tenant."""
        with self._lock:
            return sum(c.get(kind, 0) for c in self._counts.values())

    def lines(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._lines)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._lines.clear()


class SimState:
    """Everything the simulated Microsoft knows. Tenants are addressed by GUID or default domain."""

    def __init__(self, app: ServiceApp, tenants: Iterable[Tenant] = (), faults: FaultConfig | None = None,
                 token_lifetime_s: int = 3599, log_lines: int = 1000) -> None:
        self._lock = threading.RLock()
        self.app = app
        self.token_lifetime_s = token_lifetime_s
        self.tenants: dict[str, Tenant] = {}
        self._by_domain: dict[str, str] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self.injector = FaultInjector(faults)
        self.log = RequestLog(log_lines)
        #: Signs ``$skiptoken`` values so that a tampered or foreign token is refused.
        self.paging_key = secrets.token_bytes(32)
        for tenant in tenants:
            self.add_tenant(tenant)

    # Tenants -------------------------------------------------------------------------------------
    def add_tenant(self, tenant: Tenant) -> Tenant:
        """Add (or replace) a tenant."""
        with self._lock:
            self.tenants[tenant.id.lower()] = tenant
            self._by_domain[tenant.default_domain.lower()] = tenant.id.lower()
        return tenant

    def find_tenant(self, key: str) -> Tenant | None:
        """The tenant with this GUID or default domain (case-insensitive), if any."""
        key = key.lower()
        with self._lock:
            return self.tenants.get(key) or self.tenants.get(self._by_domain.get(key, ""))

    def dns_lookup(self, name: str) -> tuple[bool, list[str] | None]:
        """``(exists, txt records)`` of a DNS name across every tenant's domains: a name exists when it
        or a name under it is listed; ``None`` records mean SERVFAIL. Two simulated tenants may share a
        company name, and so a domain: the one added last answers (as ``find_tenant`` does)."""
        name = name.rstrip(".").lower()
        with self._lock:
            tenants = list(reversed(self.tenants.values()))
        for tenant in tenants:
            if name in tenant.dns:
                return True, tenant.dns[name]
        suffix = "." + name
        exists = any(listed.endswith(suffix) for t in tenants for listed in t.dns)
        return exists, []

    def tenant(self, key: str) -> Tenant:
        """Like ``find_tenant`` but raises ``KeyError`` for an unknown tenant."""
        found = self.find_tenant(key)
        if found is None:
            raise KeyError(f"no simulated tenant {key!r}")
        return found

    # Consent and permissions ---------------------------------------------------------------------
    def grant_consent(self, tenant: str, permissions: Iterable[str] | None = None) -> Tenant:
        """Admin consent: the app exists in the tenant with ``permissions`` (default: the app's required)."""
        with self._lock:
            found = self.tenant(tenant)
            found.consent = "granted"
            found.granted_permissions = set(self.app.required_permissions if permissions is None else permissions)
            return found

    def revoke_consent(self, tenant: str) -> Tenant:
        """The customer deleted the enterprise app: tokens fail with AADSTS700016, issued ones stop working."""
        with self._lock:
            found = self.tenant(tenant)
            found.consent = "revoked"
            self._forget_tokens(found.id)
            return found

    def disable_app(self, tenant: str) -> Tenant:
        """The customer disabled the enterprise app: tokens fail with AADSTS7000112."""
        with self._lock:
            found = self.tenant(tenant)
            found.consent = "disabled"
            self._forget_tokens(found.id)
            return found

    def remove_permission(self, tenant: str, permission: str) -> Tenant:
        """Remove one app-role assignment. Tokens already issued keep their roles until they expire."""
        with self._lock:
            found = self.tenant(tenant)
            found.granted_permissions.discard(permission)
            return found

    def restore_permission(self, tenant: str, permission: str) -> Tenant:
        """Grant one app role again (seen by tokens issued from now on)."""
        with self._lock:
            found = self.tenant(tenant)
            found.granted_permissions.add(permission)
            return found

    def set_exchange_role(self, tenant: str, assigned: bool) -> Tenant:
        """Assign or remove the directory role (Global Reader) the Exchange admin API needs."""
        with self._lock:
            found = self.tenant(tenant)
            found.exchange_role_assigned = assigned
            return found

    # Tokens --------------------------------------------------------------------------------------
    def issue_token(self, tenant: Tenant, audience: Audience) -> IssuedToken:
        """A new access token carrying the roles granted now for that audience's API."""
        granted = frozenset(tenant.granted_permissions)
        roles = granted & EXCHANGE_ROLES if audience == "exchange" else granted - EXCHANGE_ROLES
        token = IssuedToken(secrets.token_urlsafe(48), tenant.id.lower(), audience, roles,
                            time.time() + self.token_lifetime_s, self.app.client_id)
        with self._lock:
            now = time.time()
            if len(self._tokens) > 10_000:
                self._tokens = {k: v for k, v in self._tokens.items() if not v.is_expired(now)}
            self._tokens[token.value] = token
        return token

    def lookup_token(self, value: str) -> IssuedToken | None:
        """The token behind an access-token string (expired ones included), or None if unknown."""
        with self._lock:
            return self._tokens.get(value)

    def expire_token(self, value: str) -> None:
        """Make an issued token expire now (for tests of the expired-token path)."""
        with self._lock:
            if value in self._tokens:
                self._tokens[value] = replace(self._tokens[value], expires_at=time.time() - 1)

    def _forget_tokens(self, tenant_id: str) -> None:
        tenant_id = tenant_id.lower()
        self._tokens = {k: v for k, v in self._tokens.items() if v.tenant_id != tenant_id}

    # Faults --------------------------------------------------------------------------------------
    @property
    def faults(self) -> FaultConfig:
        return self.injector.config

    def set_faults(self, config: FaultConfig) -> None:
        """Change fault injection while running (the RNG restarts from the config's seed)."""
        self.injector.configure(config)

    # Views ---------------------------------------------------------------------------------------
    def describe_tenant(self, tenant: Tenant, *, full: bool = False) -> dict[str, Any]:
        """JSON summary of a tenant (``full`` adds expected verdicts and the Graph paths it holds)."""
        data: dict[str, Any] = {
            "id": tenant.id, "display_name": tenant.display_name, "default_domain": tenant.default_domain,
            "profile": tenant.profile, "consent": tenant.consent,
            "granted_permissions": sorted(tenant.granted_permissions),
            "exchange_role_assigned": tenant.exchange_role_assigned, "service_plans": sorted(tenant.service_plans),
        }
        if full:
            data["expected"] = dict(tenant.expected)
            data["expected_status"] = getattr(tenant, "expected_status", None)
            data["expected_reasons"] = dict(getattr(tenant, "expected_reasons", {}))
            data["graph_paths"] = sorted(tenant.graph)
            data["exchange_cmdlets"] = sorted(tenant.exchange)
            data["requests"] = self.log.counts(tenant.id.lower())
        return data
