"""Turning Graph and Exchange replies (whole responses or ``$batch`` sub-responses) into JSON or errors.

Both APIs speak OData: a collection page is ``{"value": [...], "@odata.nextLink": "..."}`` and an
error is ``{"error": {"code": "...", "message": "..."}}``. A :class:`Reply` is either kind of answer
reduced to status, lower-cased headers and parsed JSON, so one set of rules classifies both.

Decisions (status to error, after the retries are spent):

- 401: :class:`InsufficientPermission`: the token was refreshed once and still refused, so the app
  lacks what the resource demands (for Exchange: ``Exchange.ManageAsApp``).
- 403: :class:`InsufficientPermission` for Graph. Graph signals a missing application permission with
  ``Authorization_RequestDenied`` in the directory, but with ``Forbidden``/``accessDenied`` codes in
  Intune, SharePoint and reports, so any 403 counts, except the codes known to mean a missing licence,
  which are :class:`ServiceError` with that code. The Exchange client maps its 403 itself.
- 429, and 503/504 with a ``Retry-After``: :class:`Throttled` carrying the delay. 503/504 without one,
  and other 5xx: :class:`ServiceError`.
- 404 and any other 4xx: :class:`ServiceError` with the service's code and message.
- A 2xx that is not JSON, or not the expected shape: :class:`MalformedResponse`.

The service's message is kept (trimmed to 300 characters): it is the most precise hint there is.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from scanner._decode import MALFORMED, UNPARSEABLE, decode_body
from scanner._errors import (
    InsufficientPermission,
    MalformedData,
    MalformedResponse,
    RequestError,
    ServiceError,
    Throttled,
)
from scanner._http import parse_retry_after

__all__ = [
    "MALFORMED", "UNPARSEABLE", "Reply", "error_fields", "error_for", "list_page", "malformed", "object_body",
    "retry_after_s",
]

#: 403 codes that mean a missing licence, not a missing permission.
_LICENCE_CODES = frozenset({"Authentication_RequestFromNonPremiumTenantOrB2CTenant"})
_MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Reply:
    """A response reduced to what classification needs.

    Attributes:
        status: HTTP status.
        headers: header names lower-cased.
        body: the parsed JSON, ``None`` when empty, :data:`UNPARSEABLE` or :data:`MALFORMED`.
        size: bytes of the body on the wire (for a ``$batch`` sub-response, its share of the batch).
    """

    status: int
    headers: Mapping[str, str]
    body: Any
    size: int = 0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @classmethod
    def from_response(cls, response: httpx.Response) -> Reply:
        return cls(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                   decode_body(response.content), len(response.content))

    @classmethod
    def from_batch(cls, item: Mapping[str, Any], size: int = 0) -> Reply:
        """A ``$batch`` sub-response. Graph inlines JSON bodies and base64-encodes other content types."""
        status = item.get("status")
        if not isinstance(status, int):
            raise ValueError("sub-response without an integer status")
        headers = item.get("headers")
        headers = {str(k).lower(): str(v) for k, v in headers.items()} if isinstance(headers, Mapping) else {}
        body = item.get("body")
        if isinstance(body, str):
            try:
                body = decode_body(base64.b64decode(body, validate=True))
            except (binascii.Error, ValueError):
                body = UNPARSEABLE
        return cls(status, headers, body, size)


def retry_after_s(reply: Reply) -> float | None:
    """The reply's ``Retry-After`` in seconds, if it sent a usable one."""
    return parse_retry_after(reply.headers.get("retry-after"))


def error_fields(reply: Reply) -> tuple[str | None, str]:
    """The service's error code and message (whitespace collapsed, trimmed), when it sent them."""
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        code = code if isinstance(code, str) else None
        message = message if isinstance(message, str) else ""
    elif isinstance(error, str):  # OAuth-style {"error": "...", "error_description": "..."}
        code, message = error, str(reply.body.get("error_description") or "")
    else:
        code, message = None, ""
    message = " ".join(message.split())
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 3] + "..."
    return code, message


def error_for(
    reply: Reply, *, url: str, tenant_id: str, service: str = "Graph", permission: str | None = None
) -> RequestError:
    """The error for a final non-2xx reply (retries already spent), following the module's rules."""
    code, detail = error_fields(reply)
    status = reply.status
    said = f" ({code}: {detail})" if code or detail else ""
    where = f"{service} {url} for tenant {tenant_id}"
    if status == 401 or (status == 403 and code not in _LICENCE_CODES):
        grant = f"the application permission {permission}" if permission else "the missing application permission"
        return InsufficientPermission(
            status, code,
            f"{where} was refused with {status}{said}. Grant {grant} to the app and have the customer's "
            "administrator consent again.",
            url, tenant_id=tenant_id, permission=permission,
        )
    wait = retry_after_s(reply)
    if status == 429 or (status in (503, 504) and wait is not None):
        after = f"; the service asked to wait {wait:g} s" if wait is not None else ""
        return Throttled(status, code, f"{where} was still throttled ({status}) after the retries{after}. "
                         "Scan again later.", url, tenant_id=tenant_id, retry_after_s=wait)
    if status == 403:
        return ServiceError(status, code, f"{where} was refused with 403{said}: the tenant lacks the licence "
                            "this data needs.", url, tenant_id=tenant_id)
    if status >= 500:
        return ServiceError(status, code, f"{where} failed with {status}{said} after the retries. Scan again "
                            "later; if it persists, check the service health dashboard.", url, tenant_id=tenant_id)
    return ServiceError(status, code, f"{where} returned {status}{said}.", url, tenant_id=tenant_id)


def malformed(
    what: str, *, url: str, tenant_id: str, service: str = "Graph", status: int | None = None
) -> MalformedResponse:
    """A :class:`MalformedResponse` saying what was expected."""
    return MalformedResponse(status, None, f"{service} {url} for tenant {tenant_id} returned {what}; the data "
                             "was not used. Scan again; report it if it persists.", url, tenant_id=tenant_id)


def list_page(reply: Reply, *, url: str, tenant_id: str, service: str = "Graph") -> tuple[list[Any], str | None]:
    """The ``value`` array and ``@odata.nextLink`` of a 2xx collection page.

    Raises:
        MalformedResponse: the body is not a JSON object with a ``value`` array, or the link is not a string.
    """
    body = reply.body
    _refuse_malformed_data(reply, url=url, tenant_id=tenant_id, service=service)
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise malformed("no JSON object with a 'value' array", url=url, tenant_id=tenant_id, service=service,
                        status=reply.status)
    link = body.get("@odata.nextLink")
    if link is not None and (not isinstance(link, str) or not link):
        raise malformed("an '@odata.nextLink' that is not a URL", url=url, tenant_id=tenant_id, service=service,
                        status=reply.status)
    return body["value"], link


def object_body(reply: Reply, *, url: str, tenant_id: str, service: str = "Graph") -> dict[str, Any]:
    """The JSON object of a 2xx entity response, without ``@odata.context``.

    Raises:
        MalformedResponse: the body is not a JSON object.
    """
    _refuse_malformed_data(reply, url=url, tenant_id=tenant_id, service=service)
    if not isinstance(reply.body, dict):
        raise malformed("no JSON object", url=url, tenant_id=tenant_id, service=service, status=reply.status)
    return {k: v for k, v in reply.body.items() if k != "@odata.context"}


def _refuse_malformed_data(reply: Reply, *, url: str, tenant_id: str, service: str) -> None:
    if reply.body is MALFORMED:
        raise MalformedData(reply.status, None, f"{service} {url} for tenant {tenant_id} returned JSON holding "
                            "NaN, Infinity, a NUL character or nesting too deep to read; the data was not used.",
                            url, tenant_id=tenant_id)
