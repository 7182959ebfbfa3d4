"""ExchangeClient against a fake Exchange Online admin API (InvokeCommand)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from scanner._errors import (
    ConsentMissing,
    ExchangeRoleMissing,
    InsufficientPermission,
    MalformedResponse,
    ServiceError,
)
from scanner._exchange import ExchangeClient
from scanner._transport import RequestStats

from .conftest import EXCHANGE, TENANT, FakeTokens

ENDPOINT = f"/adminapi/beta/{TENANT}/InvokeCommand"


class FakeExchange:
    """InvokeCommand: outputs per cmdlet, split into pages; ``status`` forces a reply per cmdlet."""

    def __init__(self) -> None:
        self.outputs: dict[str, list[list[dict[str, Any]]]] = {}
        self.status: dict[str, list[int]] = {}
        self.seen: list[tuple[str, dict[str, Any], str]] = []  # (url, body, authorization)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == ENDPOINT
        body = json.loads(request.content)
        self.seen.append((str(request.url), body, request.headers["authorization"]))
        cmdlet = body["CmdletInput"]["CmdletName"]
        if self.status.get(cmdlet):
            code = self.status[cmdlet].pop(0)
            return httpx.Response(code, headers={"Retry-After": "0"} if code == 429 else {},
                                  json={"error": {"code": f"E{code}", "message": f"refused {cmdlet}"}})
        pages = self.outputs[cmdlet]
        page = int(request.url.params.get("page", "0"))
        reply: dict[str, Any] = {"@odata.context": "x", "value": pages[page]}
        if page + 1 < len(pages):
            reply["@odata.nextLink"] = f"{EXCHANGE}{ENDPOINT}?page={page + 1}"
        return httpx.Response(200, json=reply)


@pytest.fixture
def exo() -> FakeExchange:
    return FakeExchange()


def client(handler: Any, tokens: FakeTokens, **kwargs: Any) -> ExchangeClient:
    return ExchangeClient(TENANT, tokens, EXCHANGE, http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
                          backoff_s=0.01, stats=RequestStats(), **kwargs)


async def test_invoke_posts_the_cmdlet_and_follows_next_links(exo: FakeExchange, tokens: FakeTokens):
    exo.outputs["Get-CASMailbox"] = [[{"Name": "a"}], [{"Name": "b"}], [{"Name": "c"}]]
    async with client(exo, tokens) as c:
        out = await c.invoke("Get-CASMailbox", {"ResultSize": "Unlimited"})
        assert c.stats.requests == 3
    assert out == [{"Name": "a"}, {"Name": "b"}, {"Name": "c"}]
    expected = {"CmdletInput": {"CmdletName": "Get-CASMailbox", "Parameters": {"ResultSize": "Unlimited"}}}
    assert [body for _, body, _ in exo.seen] == [expected] * 3
    assert exo.seen[2][0].endswith("?page=2")
    assert tokens.calls[0] == (TENANT, EXCHANGE, False)


async def test_a_401_after_a_fresh_token_means_the_exchange_permission_is_missing(exo: FakeExchange,
                                                                                   tokens: FakeTokens):
    exo.status["Get-TransportConfig"] = [401, 401]
    async with client(exo, tokens) as c:
        with pytest.raises(InsufficientPermission) as caught:
            await c.invoke("Get-TransportConfig")
    assert type(caught.value) is InsufficientPermission
    assert caught.value.reason == "insufficient_permission:Exchange.ManageAsApp"
    assert [auth for _, _, auth in exo.seen] == ["Bearer token-1", "Bearer token-2"]


async def test_a_401_cured_by_a_fresh_token_succeeds(exo: FakeExchange, tokens: FakeTokens):
    exo.status["Get-TransportConfig"] = [401]
    exo.outputs["Get-TransportConfig"] = [[{"SmtpClientAuthenticationDisabled": True}]]
    async with client(exo, tokens) as c:
        assert await c.invoke("Get-TransportConfig") == [{"SmtpClientAuthenticationDisabled": True}]


async def test_a_403_means_the_app_has_no_directory_role(exo: FakeExchange, tokens: FakeTokens):
    exo.status["Get-OrganizationConfig"] = [403]
    async with client(exo, tokens) as c:
        with pytest.raises(ExchangeRoleMissing) as caught:
            await c.invoke("Get-OrganizationConfig")
    assert caught.value.reason == "exchange_role_missing"
    assert "Global Reader" in str(caught.value) and TENANT in str(caught.value)
    assert len(exo.seen) == 1


async def test_throttling_is_retried(exo: FakeExchange, tokens: FakeTokens):
    exo.status["Get-Mailbox"] = [429]
    exo.outputs["Get-Mailbox"] = [[{"Name": "m"}]]
    async with client(exo, tokens) as c:
        assert await c.invoke("Get-Mailbox") == [{"Name": "m"}]
        assert (c.stats.requests, c.stats.throttled, c.stats.retries) == (2, 1, 1)


async def test_invoke_many_keeps_going_past_a_failure(exo: FakeExchange, tokens: FakeTokens):
    exo.outputs["Get-RemoteDomain"] = [[{"Name": "Default"}]]
    exo.status["Get-DkimSigningConfig"] = [400]
    exo.outputs["Get-AdminAuditLogConfig"] = [[]]
    async with client(exo, tokens) as c:
        out = await c.invoke_many({
            "remote": ("Get-RemoteDomain", None),
            "dkim": ("Get-DkimSigningConfig", {}),
            "audit": ("Get-AdminAuditLogConfig", None),
        })
    assert out["remote"] == [{"Name": "Default"}]
    assert out["audit"] == []
    assert isinstance(out["dkim"], ServiceError) and out["dkim"].reason == "service_error:400"
    assert out["dkim"].code == "E400"


async def test_invoke_many_raises_token_errors(exo: FakeExchange):
    tokens = FakeTokens(error=ConsentMissing("gone", tenant_id=TENANT))
    async with client(exo, tokens) as c:
        with pytest.raises(ConsentMissing):
            await c.invoke_many({"a": ("Get-Mailbox", None), "b": ("Get-RemoteDomain", None)})


async def test_a_reply_without_value_is_malformed(tokens: FakeTokens):
    async with client(lambda request: httpx.Response(200, json={"Name": "x"}), tokens) as c:
        with pytest.raises(MalformedResponse):
            await c.invoke("Get-TransportConfig")
