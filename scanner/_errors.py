"""The scanner's errors: one root and a shallow tree, split by what the caller does next.

::

    ScannerError
     +-- AuthError                  no token for the tenant: the scan cannot start
     |    +-- ConsentMissing        the app is not (or no longer) consented, or disabled: tenant disconnected
     |    +-- TenantNotFound        the tenant id is wrong or the tenant was deleted
     |    +-- CredentialInvalid     our own secret/certificate was rejected: platform-wide, not the customer
     |    +-- TransientAuthError    the identity service is busy or unreachable: try again later
     +-- RequestError               one Graph/Exchange request failed: that collection errors, the scan goes on
          +-- InsufficientPermission    the app lacks an application permission (403 / 401 after refresh)
          |    +-- ExchangeRoleMissing  the app has no directory role for the Exchange admin API
          +-- Throttled             still throttled after the retries; carries the server's delay
          +-- ServiceError          other 5xx, network failure after retries, unexpected 4xx
          +-- MalformedResponse     not JSON, or not the shape Graph documents
               +-- MalformedData    JSON holding what no consumer accepts (NaN, NUL, absurd nesting)
               +-- PagingLimit      a collection ran past its cap of pages or bytes (a looping nextLink)

Decisions:

- Every error has a short, stable ``reason`` string: check results store it and the portal groups by
  it (``insufficient_permission:Policy.Read.All``, ``throttled``, ``service_error:503``). Messages are
  prose for people: what failed, for which tenant, and what to do next.
- Token errors are classified by the OAuth ``error`` field and the HTTP status (``scanner._auth``), with
  the AADSTS number kept as a hint (``error_codes``): Microsoft warns that the numbers and texts change.
- Errors pickle and copy with their fields (a plain ``Exception`` subclass with keyword-only arguments
  does not), so they can cross process boundaries in worker results.
- Messages and fields never hold tokens, secrets or client assertions.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

__all__ = [
    "AuthError",
    "ConsentMissing",
    "CredentialInvalid",
    "ExchangeRoleMissing",
    "InsufficientPermission",
    "MalformedData",
    "MalformedResponse",
    "PagingLimit",
    "RequestError",
    "ScannerError",
    "ServiceError",
    "TenantNotFound",
    "Throttled",
    "TransientAuthError",
]


class ScannerError(Exception):
    """Root of every error the scanner raises or records."""

    def __init__(self, message: str, *, tenant_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tenant_id = tenant_id

    @property
    def reason(self) -> str:
        """A short stable string for check results (``service_error:503``)."""
        return "scanner_error"

    def _fields(self) -> dict[str, Any]:
        return {"message": self.message, "tenant_id": self.tenant_id}

    def __reduce__(self) -> tuple[Any, ...]:
        return (functools.partial(type(self), **self._fields()), ())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason!r})"


# -- token errors ------------------------------------------------------------------------------


class AuthError(ScannerError):
    """No access token could be obtained for the tenant (also the class for unrecognised token errors).

    Attributes:
        error: the OAuth ``error`` field (``unauthorized_client``), when the server sent one.
        error_codes: the AADSTS numbers the server sent (a hint only).
        status: the HTTP status of the failed identity request, when one was received.
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        error: str | None = None,
        error_codes: Sequence[int] = (),
        status: int | None = None,
    ) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.error = error
        self.error_codes = tuple(error_codes)
        self.status = status

    @property
    def reason(self) -> str:
        return f"auth_error:{self.error}" if self.error else "auth_error"

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "error": self.error, "error_codes": self.error_codes, "status": self.status}


class ConsentMissing(AuthError):
    """The app is not consented in the tenant, its enterprise app was deleted, or it was disabled.

    The tenant is disconnected until its administrator grants consent again.
    """

    @property
    def reason(self) -> str:
        return "consent_missing"


class TenantNotFound(AuthError):
    """The tenant id is unknown to the identity service (mistyped, or the tenant was deleted)."""

    @property
    def reason(self) -> str:
        return "tenant_not_found"


class CredentialInvalid(AuthError):
    """The service's own client secret or certificate was rejected (wrong, expired, or unreadable).

    Platform-wide: every tenant fails the same way. Do not mark customers disconnected.
    """

    @property
    def reason(self) -> str:
        return "credential_invalid"


class TransientAuthError(AuthError):
    """The identity service is throttling, failing, or unreachable. Retry later; change no state.

    Attributes:
        retry_after_s: the identity service's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        error: str | None = None,
        error_codes: Sequence[int] = (),
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, tenant_id=tenant_id, error=error, error_codes=error_codes, status=status)
        self.retry_after_s = retry_after_s

    @property
    def reason(self) -> str:
        return "auth_unavailable"

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "retry_after_s": self.retry_after_s}


# -- request errors ----------------------------------------------------------------------------


class RequestError(ScannerError):
    """A Graph or Exchange request failed.

    Attributes:
        status: the HTTP status (``None`` when no response was received).
        code: the service's error code (Graph ``error.code``), when it sent one.
        url: the URL (or batch-relative path) that failed.
    """

    def __init__(
        self,
        status: int | None,
        code: str | None,
        message: str,
        url: str,
        *,
        tenant_id: str | None = None,
    ) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.status = status
        self.code = code
        self.url = url

    @property
    def reason(self) -> str:
        return "request_error"

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "status": self.status, "code": self.code, "url": self.url}

    def __reduce__(self) -> tuple[Any, ...]:
        fields = self._fields()
        args = tuple(fields.pop(k) for k in ("status", "code", "message", "url"))
        return (functools.partial(type(self), **fields), args)


class InsufficientPermission(RequestError):
    """The app lacks a permission the request needs (grant it and re-consent).

    Attributes:
        permission: the permission(s) to grant, comma-separated, when known (``Policy.Read.All``).
    """

    def __init__(
        self,
        status: int | None,
        code: str | None,
        message: str,
        url: str,
        *,
        tenant_id: str | None = None,
        permission: str | None = None,
    ) -> None:
        super().__init__(status, code, message, url, tenant_id=tenant_id)
        self.permission = permission

    @property
    def reason(self) -> str:
        return f"insufficient_permission:{self.permission}" if self.permission else "insufficient_permission"

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "permission": self.permission}


class ExchangeRoleMissing(InsufficientPermission):
    """The Exchange admin API refused the app: it holds no directory role (assign Global Reader)."""

    @property
    def reason(self) -> str:
        return "exchange_role_missing"


class Throttled(RequestError):
    """Still throttled after every retry.

    Attributes:
        retry_after_s: the server's last ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(
        self,
        status: int | None,
        code: str | None,
        message: str,
        url: str,
        *,
        tenant_id: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(status, code, message, url, tenant_id=tenant_id)
        self.retry_after_s = retry_after_s

    @property
    def reason(self) -> str:
        return "throttled"

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "retry_after_s": self.retry_after_s}


class ServiceError(RequestError):
    """A server error, a network failure after retries, or an unexpected 4xx (404, 400...)."""

    @property
    def reason(self) -> str:
        return f"service_error:{self.status}" if self.status is not None else "service_error:network"


class MalformedResponse(RequestError):
    """The response was not JSON, or not the shape the API documents."""

    @property
    def reason(self) -> str:
        return "malformed_response"


class MalformedData(MalformedResponse):
    """The body parsed, but holds values nothing downstream can store or trust: ``NaN`` or
    ``Infinity`` (not JSON), a NUL character (PostgreSQL's JSON refuses it), or nesting deep enough to
    exhaust the parser. The checks that read the collection report ``error: malformed_data``."""

    @property
    def reason(self) -> str:
        return "malformed_data"


class PagingLimit(MalformedResponse):
    """A collection went past the pages or bytes a scan reads for one collection (``scanner._limits``):
    a ``@odata.nextLink`` that loops, or a tenant far beyond what the caps allow."""

    @property
    def reason(self) -> str:
        return "paging_limit"
