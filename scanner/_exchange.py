"""The Exchange Online admin API client: ``Get-*`` cmdlets through ``InvokeCommand``, paged to the end.

Exchange settings that decide key checks (SMTP AUTH, auto-forwarding, audit, DKIM) are not in Graph.
They come from ``POST {exchange_url}/adminapi/beta/{tenant_id}/InvokeCommand`` with
``{"CmdletInput": {"CmdletName": ..., "Parameters": {...}}}`` and a token for ``{exchange_url}/.default``.
A page is OData (``value``, ``@odata.nextLink``); the next page is the same body POSTed to the link.

Decisions:

- Same HTTP stack as Graph (``scanner._http``: retries, counting, concurrency limit); no ``$batch``.
- A 401 that survives one fresh token means the token carries no ``Exchange.ManageAsApp`` role:
  :class:`InsufficientPermission` naming it. A 403 means the app has the permission but no directory
  role in the customer tenant: :class:`ExchangeRoleMissing`, whose message tells the MSP to assign
  Global Reader to the app there. Onboarding shows that instead of passing the Exchange checks silently.
- A nextLink to another host is not followed (the token would go with it): :class:`MalformedResponse`.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx

from scanner._budget import RequestBudget
from scanner._errors import AuthError, ExchangeRoleMissing, InsufficientPermission, ScannerError
from scanner._http import ApiSession, RequestStats, TokenSource
from scanner._limits import PageBudget
from scanner._responses import Reply, error_fields, error_for, list_page, malformed

__all__ = ["ExchangeClient"]

#: The application permission (on Office 365 Exchange Online) the admin API requires.
EXCHANGE_PERMISSION = "Exchange.ManageAsApp"
_SERVICE = "Exchange"


class ExchangeClient:
    """Runs read-only Exchange Online cmdlets for one tenant.

    Args:
        tenant_id: the customer tenant.
        tokens: the token provider (``scanner._auth.TokenProvider``).
        exchange_url: the Exchange base URL (``https://outlook.office365.com``), also the token resource.
        stats, http, ca_bundle, max_concurrency, max_retries, backoff_s, timeout_s, request_budget, pool: as
            for :class:`scanner._transport.GraphClient`.
    """

    def __init__(
        self,
        tenant_id: str,
        tokens: TokenSource,
        exchange_url: str,
        *,
        stats: RequestStats | None = None,
        http: httpx.AsyncClient | None = None,
        ca_bundle: str | None = None,
        max_concurrency: int = 4,
        max_retries: int = 5,
        backoff_s: float = 0.5,
        timeout_s: float = 60.0,
        request_budget: RequestBudget | None = None,
        pool: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base = exchange_url.rstrip("/")
        self.tenant_id = tenant_id
        self.stats = stats if stats is not None else RequestStats()
        self._base = httpx.URL(base)
        self._endpoint = f"{base}/adminapi/beta/{urllib.parse.quote(tenant_id, safe='')}/InvokeCommand"
        self._session = ApiSession(
            tenant_id, tokens, base, stats=self.stats, http=http, ca_bundle=ca_bundle,
            max_concurrency=max_concurrency, max_retries=max_retries, backoff_s=backoff_s, timeout_s=timeout_s,
            request_budget=request_budget, service="exchange", pool=pool,
        )

    async def __aenter__(self) -> ExchangeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (an injected ``http`` client's transport stays open)."""
        await self._session.aclose()

    async def invoke(self, cmdlet: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one cmdlet and return every object it outputs (all pages).

        Raises:
            AuthError: no token could be obtained for the tenant.
            InsufficientPermission: the app lacks ``Exchange.ManageAsApp`` (401 after a fresh token).
            ExchangeRoleMissing: the app holds no directory role in the tenant (403).
            Throttled, ServiceError, MalformedResponse: as for Graph.
        """
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": dict(parameters or {})}}
        url = self._endpoint
        items: list[dict[str, Any]] = []
        budget = PageBudget()
        while True:
            reply = Reply.from_response(await self._session.send("POST", url, json=body))
            if not reply.ok:
                raise self._error(reply, cmdlet, url)
            value, link = list_page(reply, url=url, tenant_id=self.tenant_id, service=_SERVICE)
            budget.spend(reply.size, has_next=link is not None, url=url, tenant_id=self.tenant_id, service=_SERVICE)
            items.extend(value)
            if link is None:
                return items
            url = self._follow(link, url)

    async def invoke_many(
        self, commands: Mapping[str, tuple[str, Mapping[str, Any] | None]]
    ) -> dict[str, list[dict[str, Any]] | ScannerError]:
        """Run cmdlets concurrently (within the tenant's limit); one failure never stops the others.

        Args:
            commands: key to ``(cmdlet, parameters)``.

        Returns:
            For each key: the cmdlet's output, or the error that stopped it.

        Raises:
            AuthError: no token could be obtained for the tenant.
        """
        keys = list(commands)
        outcomes = await asyncio.gather(*(self.invoke(*commands[k]) for k in keys), return_exceptions=True)
        results: dict[str, list[dict[str, Any]] | ScannerError] = {}
        for key, outcome in zip(keys, outcomes, strict=True):
            if isinstance(outcome, AuthError):
                raise outcome
            if isinstance(outcome, ScannerError):
                results[key] = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                results[key] = outcome
        return results

    def _error(self, reply: Reply, cmdlet: str, url: str) -> ScannerError:
        code, detail = error_fields(reply)
        said = f" ({code}: {detail})" if code or detail else ""
        where = f"The Exchange admin API refused {cmdlet} for tenant {self.tenant_id}{said}"
        if reply.status == 401:
            return InsufficientPermission(
                401, code,
                f"{where} (401 with a fresh token): the app lacks the {EXCHANGE_PERMISSION} application "
                "permission on Office 365 Exchange Online. Add it to the app and have the customer's "
                "administrator consent again.",
                url, tenant_id=self.tenant_id, permission=EXCHANGE_PERMISSION,
            )
        if reply.status == 403:
            return ExchangeRoleMissing(
                403, code,
                f"{where} (403): the app holds no directory role in the tenant. In the customer tenant, "
                "assign the Global Reader role to the app's enterprise application (Entra admin center, "
                "Roles and administrators); Exchange checks stay unavailable until then.",
                url, tenant_id=self.tenant_id, permission=EXCHANGE_PERMISSION,
            )
        return error_for(reply, url=url, tenant_id=self.tenant_id, service=_SERVICE)

    def _follow(self, link: str, current: str) -> str:
        try:
            url = self._base.join(link)
        except httpx.InvalidURL as exc:
            raise malformed(f"an invalid '@odata.nextLink' ({exc})", url=current, tenant_id=self.tenant_id,
                            service=_SERVICE) from exc
        if (url.scheme, url.host, url.port) != (self._base.scheme, self._base.host, self._base.port):
            raise malformed(f"an '@odata.nextLink' to another host ({url.host}); it was not followed",
                            url=current, tenant_id=self.tenant_id, service=_SERVICE)
        return str(url)
