"""The AI helpers (MCP): the `mcp` package's own client against both transports, ``/mcp`` on the portal
served by uvicorn on loopback and ``posture mcp`` over stdio, on real PostgreSQL with row-level security.

Expected answers are written from the seeded fleet and DESIGN.md "Roles", never read back from the tools.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult
from sqlalchemy import Engine, text

from config.broker import ensure_broker_schema
from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.services.accounts._sessions import create_session
from portal.web.assistant import READ_TOOLS, WRITE_TOOLS
from portal.web.assistant.http import MAX_BODY
from portal.web.runtime import WebRuntime
from scanner import Status
from tests.conftest import ROLES
from tests.portal.services.support import CRITICAL, HIGH, Seeded, make_customer, make_msp, record_verdicts
from tests.portal.web.support import token_for
from tests.support.database import ROOT, set_scope
from tests.support.people import add_person
from tests.support.serving import free_port, serving

SMTP = "exo.smtp_auth.org_disabled"
_REVOKE = "UPDATE api_tokens SET revoked_at = now() WHERE token_hash = sha256(convert_to(:t, 'UTF8'))"
T = TypeVar("T")


@dataclass(frozen=True)
class Fleet:
    msp_id: uuid.UUID
    customers: dict[str, Seeded]  # Northwind, Tailspin (Operate), Woodgrove (Monitor), Foreign (another MSP)
    people: dict[str, tuple[uuid.UUID, str, MembershipView]]


def _tier_and_tags(owner: Engine, seeded: Seeded, tier: str, tags: list[str]) -> None:
    with owner.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE customers SET access_tier = :t, tags = :g WHERE id = :c"),
                           {"t": tier, "g": tags, "c": seeded.customer_id})


@pytest.fixture(scope="module")
def fleet(owner_engine: Engine, app_engine: Engine, scope_key: bytes) -> Fleet:
    msp_id, other_msp = make_msp(owner_engine), make_msp(owner_engine)
    suffix = uuid.uuid4().hex[:6]
    layout = {  # name: (msp, tier, tags, SMTP AUTH verdict)
        "Northwind": (msp_id, "operate", ["east"], Status.FAIL),
        "Tailspin": (msp_id, "operate", ["west"], Status.FAIL),
        "Woodgrove": (msp_id, "monitor", ["east"], Status.PASS),
        "Foreign": (other_msp, "operate", [], Status.FAIL),
    }
    customers = {}
    now = dt.datetime.now(dt.UTC)
    for name, (owner_msp, tier, tags, smtp) in layout.items():
        seeded = make_customer(owner_engine, owner_msp, name=f"{name} {suffix}")
        _tier_and_tags(owner_engine, seeded, tier, tags)
        record_verdicts(owner_engine, app_engine, seeded, {HIGH: Status.PASS}, now - dt.timedelta(days=3))
        record_verdicts(owner_engine, app_engine, seeded, {SMTP: smtp, CRITICAL: Status.FAIL, HIGH: Status.PASS},
                        now - dt.timedelta(days=2))
        with owner_engine.begin() as connection:  # asked for days ago: "Scan now" may run today
            set_scope(connection, owner_msp)
            connection.execute(text("UPDATE scans SET queued_at = now() - interval '2 days' WHERE customer_id = :c"),
                               {"c": seeded.customer_id})
        customers[name] = seeded
    northwind = customers["Northwind"].customer_id
    memberships = {
        "analyst": MembershipView(msp_id=msp_id, role=Role.MSP_ANALYST),
        "analyst_east": MembershipView(msp_id=msp_id, role=Role.MSP_ANALYST, tags=frozenset({"east"})),
        "viewer": MembershipView(msp_id=msp_id, role=Role.CUSTOMER_VIEWER, customer_id=northwind),
        "customer_admin": MembershipView(msp_id=msp_id, role=Role.CUSTOMER_ADMIN, customer_id=northwind),
    }
    people = {}
    for label, membership in memberships.items():
        user_id, email = add_person(owner_engine, scope_key, [membership], label)
        people[label] = (user_id, email, membership)
    return Fleet(msp_id, customers, people)


def _token(web_engine: Engine, fleet: Fleet, who: str, *, read_write: bool = False, days: int = 30) -> str:
    user_id, email, membership = fleet.people[who]
    return token_for(web_engine, user_id, email, membership, read_write=read_write, days=days)[1]


@pytest.fixture
def queued() -> list[dict[str, object]]:
    return []


@pytest.fixture
def portal(web_engine: Engine, queued: list[dict[str, object]]) -> Iterator[str]:
    runtime = WebRuntime(engine=web_engine, scan_queue=lambda **message: queued.append(message),
                         scan_group=lambda scans: queued.extend({"scan": s} for s in scans),
                         public_url="https://portal.example.test")
    with serving(runtime, free_port()) as base:
        yield base


# -- the clients -----------------------------------------------------------------------------------


def over_http(base: str, token: str, use: Callable[[Client], Awaitable[T]]) -> T:
    """``use`` a client connected to ``/mcp`` with ``token`` (the mcp package's own client)."""
    async def run() -> T:
        async with (httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
                    Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client):
            return await use(client)
    return anyio.run(run)


@dataclass(frozen=True)
class Database:
    owner_url: str
    scope_key: bytes

    def env(self, token: str | None) -> dict[str, str]:
        """``posture mcp``'s environment: the test database, and its PostgreSQL queue as the broker (what
        it publishes stays in this database, never in a broker other tests' workers read)."""
        env = {k: v for k, v in os.environ.items() if k not in ("POSTURE_TOKEN", "POSTURE_BROKER_URL")}
        env.update({"POSTURE_DATABASE_URL": self.owner_url, "POSTURE_SCOPE_KEY": self.scope_key.decode()})
        if token is not None:
            env["POSTURE_TOKEN"] = token
        return env


@pytest.fixture(scope="module")
def database(owner_url: str, scope_key: bytes) -> Database:
    ensure_broker_schema(owner_url, ROLES)
    return Database(owner_url, scope_key)


def over_stdio(database: Database, token: str, use: Callable[[Client], Awaitable[T]]) -> T:
    """``use`` a client that starts ``posture mcp`` with ``token`` in its environment."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "posture", "mcp"],
                                   env=database.env(token), cwd=str(ROOT))

    async def run() -> T:
        async with Client(params) as client:
            return await use(client)
    return anyio.run(run)


def over_the_bridge(base: str, token: str, use: Callable[[Client], Awaitable[T]]) -> T:
    """``use`` a client that starts ``posture mcp --url`` with only the token and a PATH: nothing of the server's."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "POSTURE_TOKEN": token}
    params = StdioServerParameters(command=sys.executable, args=["-m", "posture", "mcp", "--url", f"{base}/mcp"],
                                   env=env, cwd=str(ROOT))

    async def run() -> T:
        async with Client(params) as client:
            return await use(client)
    return anyio.run(run)


def _messages(error: BaseException) -> str:
    """Every message in an exception and the groups it sits in (anyio's task groups wrap the client's)."""
    inner = error.exceptions if isinstance(error, BaseExceptionGroup) else ()
    return " ".join([str(error), *(_messages(e) for e in inner)])


def call(name: str, arguments: dict[str, Any] | None = None) -> Callable[[Client], Awaitable[CallToolResult]]:
    async def use(client: Client) -> CallToolResult:
        return await client.call_tool(name, arguments or {})
    return use


def answer(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def refusal(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    return " ".join(getattr(c, "text", "") for c in result.content)


def names_in(search: dict[str, Any]) -> set[str]:
    return {c["customer"]["name"].rsplit(" ", 1)[0] for c in search["customers"]}


async def _listed(client: Client) -> list[Any]:
    return (await client.list_tools()).tools


# -- both transports -------------------------------------------------------------------------------


def _assert_the_tools(tools: list[Any]) -> None:
    assert {t.name for t in tools} == set(READ_TOOLS) | set(WRITE_TOOLS)
    assert any("search" in t.name for t in tools)  # CONTRACT.md
    for tool in tools:
        assert len(tool.description) > 40, tool.name
        assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object", tool.name
        assert tool.annotations.read_only_hint is (tool.name in READ_TOOLS), tool.name
    search = next(t for t in tools if t.name == "search_findings")
    assert search.input_schema["required"] == ["query"]
    assert "evidence.FIELD=VALUE" in search.input_schema["properties"]["query"]["description"]
    scan = next(t for t in tools if t.name == "start_scan")
    assert scan.input_schema["properties"]["customer_id"]["format"] == "uuid"


def test_the_tools_are_listed_with_their_schemas_over_http(portal: str, fleet: Fleet, web_engine: Engine) -> None:
    _assert_the_tools(over_http(portal, _token(web_engine, fleet, "analyst"), _listed))


def test_the_tools_are_listed_with_their_schemas_over_stdio(database: Database, fleet: Fleet,
                                                            web_engine: Engine) -> None:
    _assert_the_tools(over_stdio(database, _token(web_engine, fleet, "analyst"), _listed))


QUESTION = {"query": f"check:{SMTP} status:fail"}


def test_an_analyst_asks_who_still_allows_smtp_auth_and_sees_the_msps_customers_only(
        portal: str, fleet: Fleet, web_engine: Engine) -> None:
    found = answer(over_http(portal, _token(web_engine, fleet, "analyst"), call("search_findings", QUESTION)))
    assert names_in(found) == {"Northwind", "Tailspin"}  # Woodgrove has it off; Foreign is another MSP's
    assert found["total_customers"] == 2 and found["by_status"] == {"fail": 2}
    hit = found["customers"][0]["findings"][0]
    assert hit["check_id"] == SMTP and hit["status"] == "fail" and hit["severity"]
    assert found["customers"][0]["url"].startswith("https://portal.example.test/customers/")


def test_an_analyst_limited_to_a_tag_sees_those_customers_only(portal: str, fleet: Fleet, web_engine: Engine) -> None:
    found = answer(over_http(portal, _token(web_engine, fleet, "analyst_east"), call("search_findings", QUESTION)))
    assert names_in(found) == {"Northwind"}
    summary = answer(over_http(portal, _token(web_engine, fleet, "analyst_east"), call("fleet_summary")))
    assert summary["customers"] == 2  # Northwind and Woodgrove carry "east"


def test_a_customer_viewer_sees_its_own_tenant_only_over_both_transports(
        portal: str, database: Database, fleet: Fleet, web_engine: Engine) -> None:
    token = _token(web_engine, fleet, "viewer")
    assert names_in(answer(over_http(portal, token, call("search_findings", QUESTION)))) == {"Northwind"}
    assert names_in(answer(over_stdio(database, token, call("search_findings", {"query": "status:fail"})))) \
        == {"Northwind"}
    tailspin = str(fleet.customers["Tailspin"].customer_id)
    assert "no such customer" in refusal(over_http(portal, token, call("customer_posture", {"customer_id": tailspin})))


def test_a_desktop_relays_to_the_portal_with_the_token_alone(portal: str, fleet: Fleet, web_engine: Engine,
                                                            owner_engine: Engine) -> None:
    token = _token(web_engine, fleet, "viewer")

    async def use(client: Client) -> tuple[list[Any], CallToolResult]:
        return await _listed(client), await client.call_tool("search_findings", QUESTION)

    tools, found = over_the_bridge(portal, token, use)
    _assert_the_tools(tools)
    assert names_in(answer(found)) == {"Northwind"}  # the viewer's one tenant, as over HTTP
    with owner_engine.begin() as connection:
        connection.execute(text(_REVOKE), {"t": token})
    with pytest.raises(BaseException) as refused:  # the portal refuses the revoked token; the relay says so
        over_the_bridge(portal, token, _listed)
    assert "the portal answered 401" in _messages(refused.value)


def test_a_foreign_customer_is_the_same_answer_as_one_that_does_not_exist(
        portal: str, fleet: Fleet, web_engine: Engine) -> None:
    token = _token(web_engine, fleet, "analyst")
    foreign = str(fleet.customers["Foreign"].customer_id)
    for tool, extra in (("customer_posture", {}), ("finding_detail", {"check_id": CRITICAL}),
                        ("latest_report", {}), ("drift_since", {}), ("accepted_risks", {})):
        theirs = refusal(over_http(portal, token, call(tool, {"customer_id": foreign, **extra})))
        nobody = refusal(over_http(portal, token, call(tool, {"customer_id": str(uuid.uuid4()), **extra})))
        assert theirs == nobody and "not one this token can see" in theirs, tool
    drift = answer(over_http(portal, token, call("drift_since", {"since": "2000-01-01"})))
    assert drift["url"] == "https://portal.example.test/changes?period=since&since=2000-01-01"
    # New failures at the second scan: the critical check in all three, SMTP AUTH at Northwind and Tailspin.
    assert drift["truncated"] is False and drift["total_changes"] == len(drift["changes"]) == 5
    assert {c["customer"]["name"].rsplit(" ", 1)[0] for c in drift["changes"]} == {"Northwind", "Tailspin",
                                                                                    "Woodgrove"}


# -- refused before the tools ----------------------------------------------------------------------


def _raw(base: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{base}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                      headers={"accept": "application/json, text/event-stream", **headers})


def test_no_token_an_expired_or_revoked_token_and_a_session_cookie_are_refused_with_401(
        portal: str, fleet: Fleet, web_engine: Engine, owner_engine: Engine) -> None:
    expired = _token(web_engine, fleet, "analyst")
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE api_tokens SET expires_at = now() - interval '1 minute' "
                                "WHERE token_hash = sha256(convert_to(:t, 'UTF8'))"), {"t": expired})
    user_id, _, _ = fleet.people["analyst"]
    session, _ = create_session(web_engine, user_id, address="test")
    for headers in ({}, {"authorization": "Bearer pst_not-a-token"}, {"authorization": f"Bearer {expired}"},
                    {"authorization": f"Basic {expired}"}, {"cookie": f"posture_session={session}"}):
        response = _raw(portal, headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == 'Bearer realm="posture"'
        assert "tools" not in response.text
    assert _raw(portal, {"authorization": f"Bearer {_token(web_engine, fleet, 'analyst')}"}).status_code == 200


def test_a_body_too_large_is_refused_before_it_is_read(portal: str, fleet: Fleet, web_engine: Engine) -> None:
    token = _token(web_engine, fleet, "analyst")
    huge = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "search_findings", "arguments": {"query": "x" * (MAX_BODY + 1)}}}
    response = httpx.post(f"{portal}/mcp", json=huge, headers={"authorization": f"Bearer {token}",
                                                                "accept": "application/json, text/event-stream"})
    assert response.status_code == 413 and str(MAX_BODY) in response.json()["error"]


def test_posture_mcp_refuses_to_start_without_a_working_token(database: Database, fleet: Fleet, web_engine: Engine,
                                                              owner_engine: Engine) -> None:
    revoked = _token(web_engine, fleet, "viewer")
    with owner_engine.begin() as connection:
        connection.execute(text(_REVOKE), {"t": revoked})
    for token, says in ((None, "set POSTURE_TOKEN"), (revoked, "unknown, expired or revoked")):
        done = subprocess.run([sys.executable, "-m", "posture", "mcp"], env=database.env(token),
                              cwd=ROOT, input="", capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and says in done.stderr and done.stdout == ""


def test_a_token_revoked_mid_conversation_stops_at_the_next_call(portal: str, fleet: Fleet, web_engine: Engine,
                                                                 owner_engine: Engine) -> None:
    token = _token(web_engine, fleet, "analyst")

    async def use(client: Client) -> tuple[CallToolResult, CallToolResult]:
        first = await client.call_tool("fleet_summary", {})
        with owner_engine.begin() as connection:
            connection.execute(text(_REVOKE), {"t": token})
        try:
            second = await client.call_tool("fleet_summary", {})
        except Exception as exc:  # the endpoint answers 401 now: the client reports a failed request
            return first, CallToolResult(content=[], is_error=True, structured_content={"error": str(exc)})
        return first, second

    first, second = over_http(portal, token, use)
    assert answer(first)["customers"] == 3
    assert second.is_error


# -- the write tools -------------------------------------------------------------------------------


def _count(owner: Engine, sql: str, **params: object) -> int:
    with owner.connect() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


def test_a_write_tool_with_a_read_token_is_refused_and_changes_nothing(
        portal: str, fleet: Fleet, web_engine: Engine, owner_engine: Engine, queued: list[dict[str, object]]) -> None:
    tailspin = str(fleet.customers["Tailspin"].customer_id)
    scans = "SELECT count(*) FROM scans WHERE customer_id = :c"
    before = _count(owner_engine, scans, c=tailspin)
    token = _token(web_engine, fleet, "analyst")
    for tool, arguments in (("start_scan", {"customer_id": tailspin}), ("reverify_search", QUESTION),
                            ("accept_risk", {"customer_id": tailspin, "check_id": CRITICAL, "reason": "legacy app",
                                             "expires_on": (dt.date.today() + dt.timedelta(days=30)).isoformat()})):
        assert "read only" in refusal(over_http(portal, token, call(tool, arguments))), tool
    assert _count(owner_engine, scans, c=tailspin) == before and queued == []
    assert _count(owner_engine, "SELECT count(*) FROM risk_acceptances WHERE customer_id = :c", c=tailspin) == 0


def test_a_scan_started_by_the_assistant_is_queued_and_audited_as_the_portals(
        portal: str, fleet: Fleet, web_engine: Engine, owner_engine: Engine, queued: list[dict[str, object]]) -> None:
    tailspin = fleet.customers["Tailspin"].customer_id
    _, email, _ = fleet.people["analyst"]
    started = answer(over_http(portal, _token(web_engine, fleet, "analyst", read_write=True),
                               call("start_scan", {"customer_id": str(tailspin)})))
    assert started["status"] == "queued" and [m["scan_id"] for m in queued] == [uuid.UUID(started["scan_id"])]
    with owner_engine.connect() as connection:
        events = connection.execute(text(
            "SELECT action, actor, target, details FROM audit_events WHERE actor = :a ORDER BY created_at"),
            {"a": email}).all()
    assert ("scan.started_by_hand", f"scan:{started['scan_id']}") in {(e.action, e.target) for e in events}
    used = [e.details for e in events if e.action == "api.token_used"]
    assert {"method": "MCP", "path": "/mcp", "tool": "start_scan"} in used
    # The same refusals as the portal's: a scan under way, and the Monitor tier.
    again = refusal(over_http(portal, _token(web_engine, fleet, "analyst", read_write=True),
                              call("start_scan", {"customer_id": str(tailspin)})))
    assert "under way" in again
    woodgrove = str(fleet.customers["Woodgrove"].customer_id)
    assert "does not allow starting scans" in refusal(over_http(
        portal, _token(web_engine, fleet, "analyst", read_write=True), call("start_scan", {"customer_id": woodgrove})))


def test_a_risk_accepted_by_a_customer_admin_over_stdio_is_in_force_and_audited(
        database: Database, fleet: Fleet, web_engine: Engine, owner_engine: Engine) -> None:
    northwind = fleet.customers["Northwind"].customer_id
    _, email, _ = fleet.people["customer_admin"]
    token = _token(web_engine, fleet, "customer_admin", read_write=True)
    expires_on = dt.date.today() + dt.timedelta(days=30)

    async def use(client: Client) -> tuple[CallToolResult, CallToolResult, CallToolResult]:
        accepted = await client.call_tool("accept_risk", {
            "customer_id": str(northwind), "check_id": CRITICAL, "reason": "a kiosk app we retire in March",
            "expires_on": expires_on.isoformat()})
        listed = await client.call_tool("accepted_risks", {})
        detail = await client.call_tool("finding_detail", {"customer_id": str(northwind), "check_id": CRITICAL})
        return accepted, listed, detail

    accepted, listed, detail = over_stdio(database, token, use)
    assert answer(accepted)["check_id"] == CRITICAL
    risks = answer(listed)
    assert risks["total"] == 1 and risks["risks"][0]["acceptance"]["reason"] == "a kiosk app we retire in March"
    assert answer(detail)["acceptance"]["accepted_by"] == email
    with owner_engine.connect() as connection:
        event = connection.execute(text("SELECT actor, details FROM audit_events WHERE action = 'risk.accepted' "
                                        "AND customer_id = :c"), {"c": northwind}).one()
        used = connection.execute(text("SELECT details FROM audit_events WHERE action = 'api.token_used' "
                                       "AND actor = :a"), {"a": email}).scalars().all()
    assert event.actor == email and event.details["reason"] == "a kiosk app we retire in March"
    assert {"method": "MCP", "path": "stdio", "tool": "accept_risk"} in used


def test_a_write_tool_is_refused_while_the_operator_holds_the_msp(
        portal: str, web_engine: Engine, owner_engine: Engine, app_engine: Engine, scope_key: bytes) -> None:
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id, name="Held Ltd")
    record_verdicts(owner_engine, app_engine, seeded, {CRITICAL: Status.FAIL}, dt.datetime.now(dt.UTC))
    membership = MembershipView(msp_id=msp_id, role=Role.MSP_ADMIN)
    user_id, email = add_person(owner_engine, scope_key, [membership])
    token = token_for(web_engine, user_id, email, membership, read_write=True)[1]
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE msps SET suspended_at = now() WHERE id = :m"), {"m": msp_id})
    arguments = {"customer_id": str(seeded.customer_id), "check_id": CRITICAL, "reason": "while held",
                 "expires_on": (dt.date.today() + dt.timedelta(days=5)).isoformat()}
    assert "suspended" in refusal(over_http(portal, token, call("accept_risk", arguments)))
    customer = {"customer_id": arguments["customer_id"]}
    assert "suspended" in refusal(over_http(portal, token, call("start_scan", customer)))
    read = answer(over_http(portal, token, call("customer_posture", customer)))
    assert read["customer"]["name"] == "Held Ltd"  # reading stays open
    assert _count(owner_engine, "SELECT count(*) FROM risk_acceptances WHERE customer_id = :c",
                  c=seeded.customer_id) == 0


# -- answers a model can use -----------------------------------------------------------------------


def test_answers_are_compact_and_carry_the_ids_to_follow_up_with(portal: str, fleet: Fleet, web_engine: Engine) -> None:
    token = _token(web_engine, fleet, "analyst")
    summary = answer(over_http(portal, token, call("fleet_summary", {"top": 1})))
    assert summary["customers"] == 3 and summary["open_critical"] == 3
    assert len(summary["worst"]) == 1 and len(summary["most_critical"]) == 1
    found = answer(over_http(portal, token, call("find_customers", {"name": "Tailsp"})))
    assert found["total"] == 1 and found["customers"][0]["id"] == str(fleet.customers["Tailspin"].customer_id)
    posture = answer(over_http(portal, token, call("customer_posture", {"customer_id": found["customers"][0]["id"],
                                                                        "limit": 1})))
    assert posture["findings_matching"] == 2 and len(posture["findings"]) == 1  # SMTP AUTH and the critical fail
    assert posture["findings"][0]["check_id"] == CRITICAL  # worst first
    assert posture["by_status"] == {"fail": 2, "pass": 1}
    detail = answer(over_http(portal, token, call("finding_detail", {"customer_id": found["customers"][0]["id"],
                                                                     "check_id": CRITICAL})))
    assert detail["remediation"] and detail["references"] and detail["affected"] == ["obj-1"]
    report = answer(over_http(portal, token, call("latest_report", {"customer_id": found["customers"][0]["id"]})))
    assert report["report_id"] is None and "no report yet" in report["message"]
    bad = refusal(over_http(portal, token, call("search_findings", {"query": "status:maybe"})))
    assert "does not read" in bad


def test_the_latest_report_link_is_the_newest_ready_one_and_opens_with_the_same_token(
        portal: str, fleet: Fleet, web_engine: Engine, owner_engine: Engine) -> None:
    northwind = fleet.customers["Northwind"]
    ready, queued = uuid.uuid4(), uuid.uuid4()
    with owner_engine.begin() as connection:
        set_scope(connection, northwind.msp_id)
        scan = connection.execute(text("SELECT id FROM scans WHERE customer_id = :c AND status = 'completed' "
                                       "ORDER BY started_at DESC LIMIT 1"), {"c": northwind.customer_id}).scalar_one()
        connection.execute(text(  # an executive report is of a scan; a newer one still rendering
            "INSERT INTO reports (id, msp_id, customer_id, scan_id, kind, version, status, pdf, pages, requested_at) "
            "VALUES (:r, :m, :c, :s, 'executive', 1, 'ready', :pdf, 3, now() - interval '1 hour'), "
            "(:q, :m, :c, :s, 'executive', 2, 'queued', NULL, NULL, now())"),
            {"r": ready, "q": queued, "m": northwind.msp_id, "c": northwind.customer_id, "s": scan,
             "pdf": b"%PDF-1.7 assistant"})
    token = _token(web_engine, fleet, "analyst")
    report = answer(over_http(portal, token, call("latest_report", {"customer_id": str(northwind.customer_id)})))
    assert (report["report_id"], report["status"], report["pages"]) == (str(ready), "ready", 3)
    assert report["download_url"] == f"https://portal.example.test/api/v1/reports/{ready}/pdf"
    pdf = httpx.get(report["download_url"].replace("https://portal.example.test", portal),
                    headers={"authorization": f"Bearer {token}"})
    assert pdf.status_code == 200 and pdf.content == b"%PDF-1.7 assistant"
