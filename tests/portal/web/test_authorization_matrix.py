"""The authorization matrix: every route of the app, enumerated from the app itself, tried as every role
against its own customer, a sibling customer of the same MSP, a sibling at the Monitor tier and a
customer of another MSP, on real PostgreSQL with row-level security.

What is expected is written here, from DESIGN.md "Roles" (never computed by the rule under test):

- every answer, from every route, names no customer and no person the role may not see;
- what the role may not do is refused (403, or the sign-in page for a caller with no organisation)
  and changes nothing; where the target is outside what the role sees, the answer is the same as for
  an id that does not exist, so a refusal does not reveal that the target exists;
- what the role may do works, so the matrix cannot pass by refusing everything.

A new route fails ``test_every_route_has_a_row`` until its row is written below.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView, Passwords, invite
from portal.services.accounts._sessions import create_session
from portal.services.environment import ScannerEnvironment
from portal.services.mail import SmtpSender
from portal.services.onboarding import ConsentApp
from portal.services.scans import record_scan
from portal.services.summaries import unsubscribe_path
from portal.web.app import create_app
from portal.web.assistant import READ_TOOLS, WRITE_TOOLS
from portal.web.runtime import WebRuntime
from scanner import AppCredentials, Endpoints, Status, TokenProvider
from tests.portal.services.support import CRITICAL, HIGH, Seeded, insert_scan, scan_result
from tests.portal.web.support import app_routes, token_for
from tests.support.database import set_scope
from tests.support.people import PASSWORD
from tests.support.smtp import running_inbox

ROLES = ("msp_admin", "msp_analyst", "analyst_east", "customer_admin", "customer_viewer", "no_organisation")
#: Customers as the roles (all in MSP A, the customer roles in "own") see them.
CUSTOMERS = ("own", "sibling", "monitor", "other_msp")
#: Which customers each role sees: analysts all or those with their tags; customer roles their own.
SEES: dict[str, set[str]] = {
    "msp_admin": {"own", "sibling", "monitor"},
    "msp_analyst": {"own", "sibling", "monitor"},
    "analyst_east": {"own", "monitor"},
    "customer_admin": {"own"},
    "customer_viewer": {"own"},
    "no_organisation": set(),
}
#: Who manages a customer's users: MSP admins where the tier is Operate or above; its own admins.
MANAGES_USERS: dict[str, set[str]] = {"msp_admin": {"own", "sibling"}, "customer_admin": {"own"}}
#: Who reads the audit trail (MSP admins the MSP's; customer admins their tenant's).
READS_AUDIT = {"msp_admin", "customer_admin"}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


# -- the world -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    msp_id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    resident_id: uuid.UUID  # this tenant's customer admin
    resident_email: str


@dataclass
class World:
    owner: Engine
    web: Engine
    password_hash: str
    msp_a: uuid.UUID
    msp_names: dict[uuid.UUID, str]
    tenants: dict[str, Tenant]
    people: dict[str, tuple[uuid.UUID, str]] = field(default_factory=dict)
    memberships: dict[str, list[MembershipView]] = field(default_factory=dict)
    scans: dict[str, uuid.UUID] = field(default_factory=dict)  # a recorded scan of each tenant
    check_id: str = CRITICAL  # failing in every tenant

    def person(self, memberships: list[MembershipView], label: str = "person") -> tuple[uuid.UUID, str]:
        """A new user with these memberships (the password hash is made once: argon2 is slow on purpose)."""
        user_id, email = uuid.uuid4(), f"{label}-{uuid.uuid4().hex[:10]}@matrix.test"
        with self.owner.begin() as connection:
            connection.execute(text("INSERT INTO users (id, email, display_name, password_hash) "
                                    "VALUES (:i, :e, :n, :h)"),
                               {"i": user_id, "e": email, "n": label.title(), "h": self.password_hash})
        for membership in memberships:
            self.add_membership(user_id, membership)
        return user_id, email

    def add_membership(self, user_id: uuid.UUID, membership: MembershipView) -> uuid.UUID:
        membership_id = uuid.uuid4()
        with self.owner.begin() as connection:
            set_scope(connection, membership.msp_id)
            connection.execute(text(
                "INSERT INTO memberships (id, user_id, msp_id, customer_id, role, tags) "
                "VALUES (:i, :u, :m, :c, :r, :t)"),
                {"i": membership_id, "u": user_id, "m": membership.msp_id, "c": membership.customer_id,
                 "r": membership.role.value, "t": sorted(membership.tags)})
        return membership_id

    def scalar(self, sql: str, **params: object) -> object:
        with self.owner.connect() as connection:
            return connection.execute(text(sql), params).scalar()


def _tenant(world_owner: Engine, msp_id: uuid.UUID, label: str, tags: list[str], tier: str) -> uuid.UUID:
    customer_id = uuid.uuid4()
    with world_owner.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text(
            "INSERT INTO customers (id, customer_id, msp_id, name, tenant_id, connection_state, tags, access_tier) "
            "VALUES (:id, :id, :msp, :name, :tenant, 'connected', :tags, :tier)"),
            {"id": customer_id, "msp": msp_id, "name": label, "tenant": str(uuid.uuid4()), "tags": tags,
             "tier": tier})
    return customer_id


@pytest.fixture(scope="module")
def world(owner_engine: Engine, web_engine: Engine, app_engine: Engine, scope_key: bytes) -> World:
    suffix = uuid.uuid4().hex[:8]
    msp_a, msp_b = uuid.uuid4(), uuid.uuid4()
    names = {msp_a: f"Matrix MSP A {suffix}", msp_b: f"Matrix MSP B {suffix}"}
    with owner_engine.begin() as connection:
        for msp_id, name in names.items():
            connection.execute(text("INSERT INTO msps (id, name, slug) VALUES (:i, :n, :s)"),
                               {"i": msp_id, "n": name, "s": f"matrix-{msp_id.hex[:16]}"})
    world = World(owner_engine, web_engine, Passwords(scope_key).hash(PASSWORD), msp_a, names, {})
    layout = {"own": (msp_a, ["east"], "operate"), "sibling": (msp_a, ["west"], "operate"),
              "monitor": (msp_a, ["east"], "monitor"), "other_msp": (msp_b, [], "operate")}
    for relation, (msp_id, tags, tier) in layout.items():
        name = f"Tenant {relation} {suffix}"
        customer_id = _tenant(owner_engine, msp_id, name, tags, tier)
        resident_id, resident_email = world.person(
            [MembershipView(msp_id=msp_id, role=Role.CUSTOMER_ADMIN, customer_id=customer_id)], f"resident-{relation}")
        world.tenants[relation] = Tenant(msp_id, customer_id, name, resident_id, resident_email)
        seeded = Seeded(msp_id, customer_id, "tenant")
        # A first scan where the history starts; the next finds the critical failing (new: drift's rows).
        first = insert_scan(owner_engine, seeded, status="running")
        with unit_of_work(app_engine, Scope.for_customer(msp_id, customer_id)) as uow:
            record_scan(uow, first, scan_result({HIGH: Status.PASS},
                                                started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3)))
        scan_id = insert_scan(owner_engine, seeded, status="running")
        with unit_of_work(app_engine, Scope.for_customer(msp_id, customer_id)) as uow:
            record_scan(uow, scan_id, scan_result({CRITICAL: Status.FAIL, HIGH: Status.PASS},
                                                  started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)))
        world.scans[relation] = scan_id
        with owner_engine.begin() as connection:  # asked for two days ago: "Scan now" may run today
            set_scope(connection, msp_id)
            connection.execute(text("UPDATE scans SET queued_at = now() - interval '2 days' WHERE id IN (:i, :f)"),
                               {"i": scan_id, "f": first})
        # Something of this tenant's in the audit trail, naming its resident: a trail page must not show it
        # to a role that does not see the tenant.
        with owner_engine.begin() as connection:
            set_scope(connection, msp_id, actor=resident_email)
            connection.execute(text("INSERT INTO audit_events (msp_id, customer_id, action, target, details) "
                                    "VALUES (:m, :c, 'matrix.seeded', :t, '{}')"),
                               {"m": msp_id, "c": customer_id, "t": f"user:{resident_id}"})
    own = world.tenants["own"].customer_id
    world.memberships = {
        "msp_admin": [MembershipView(msp_id=msp_a, role=Role.MSP_ADMIN)],
        "msp_analyst": [MembershipView(msp_id=msp_a, role=Role.MSP_ANALYST)],
        "analyst_east": [MembershipView(msp_id=msp_a, role=Role.MSP_ANALYST, tags=frozenset({"east"}))],
        "customer_admin": [MembershipView(msp_id=msp_a, role=Role.CUSTOMER_ADMIN, customer_id=own)],
        "customer_viewer": [MembershipView(msp_id=msp_a, role=Role.CUSTOMER_VIEWER, customer_id=own)],
        "no_organisation": [],
    }
    for role, memberships in world.memberships.items():
        world.people[role] = world.person(memberships, role.replace("_", "-"))
    return world


def _queued(**message: object) -> None:
    """The app's scan queue: a message goes nowhere (whether a scan was made is read from the table)."""


def _grouped(scans: object) -> None:
    """The app's scan group (re-verify): the messages go nowhere either."""


def _render_later(**message: object) -> None:
    """The app's report queue: nothing is rendered (whether a report was asked for is read from the table)."""


def _send_later(**message: object) -> None:
    """The app's summary queue: nothing is mailed (whether a test was asked for is read from the table)."""


@pytest.fixture(scope="module")
def app(web_engine: Engine) -> Iterator[Litestar]:
    with running_inbox() as (_, port):
        consent = ConsentApp(authority_host="https://login.matrix.test", client_id=str(uuid.uuid4()),
                             redirect_uri="http://portal.matrix.test/onboarding/callback",
                             graph_url="https://graph.matrix.test", required_permissions=())
        # Never called: no case gets past the callback's state check, so nothing leaves loopback.
        tokens = TokenProvider(AppCredentials(client_id=consent.client_id, client_secret="unused"),
                               Endpoints("https://login.matrix.test", consent.graph_url, "https://outlook.matrix.test"))
        scanner_env = ScannerEnvironment(tokens=tokens, graph_url=consent.graph_url,
                                         exchange_url="https://outlook.matrix.test")
        yield create_app(WebRuntime(engine=web_engine, scan_queue=_queued, scan_group=_grouped, consent=consent,
                                    scanner_env=scanner_env, report_queue=_render_later, summary_queue=_send_later,
                                    mailer=SmtpSender("127.0.0.1", port, "posture@matrix.test", tls="none")))


# -- one case ------------------------------------------------------------------------------------


@dataclass
class Case:
    """One role's signed-in browser (a fresh session) against one relation."""

    world: World
    client: TestClient
    role: str
    relation: str | None
    user_id: uuid.UUID
    email: str
    _csrf: str | None = None

    @property
    def tenant(self) -> Tenant:
        assert self.relation in CUSTOMERS
        return self.world.tenants[self.relation]

    @property
    def has_organisation(self) -> bool:
        return self.role != "no_organisation"

    def sees(self, relation: str) -> bool:
        return relation in SEES[self.role]

    def sign_in_as(self, user_id: uuid.UUID, email: str) -> None:
        token, _ = create_session(self.world.web, user_id, address="matrix")
        self.client.cookies.clear()
        self.client.cookies.set("posture_session", token)
        self.user_id, self.email, self._csrf = user_id, email, None

    def as_a_fresh_person(self) -> None:
        """Act as a new person with this role's memberships (for cases that change the caller's own account)."""
        self.sign_in_as(*self.world.person(self.world.memberships[self.role], self.role.replace("_", "-")))

    def get(self, path: str, *, reveals: str | None = None, **kwargs: object) -> httpx.Response:
        response = self.client.get(path, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
        self.assert_no_leak(response, reveals)
        return response

    def post(self, path: str, data: dict[str, str] | None = None, *, reveals: str | None = None) -> httpx.Response:
        if self._csrf is None:
            self._csrf = _CSRF.search(self.client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
        response = self.client.post(path, data={**(data or {}), "_csrf_token": self._csrf}, follow_redirects=False)
        self.assert_no_leak(response, reveals)
        return response

    def assert_no_leak(self, response: httpx.Response, reveals: str | None = None) -> None:
        """The answer names no tenant (nor its resident) and no MSP the role does not see."""
        assert response.status_code < 500, response.text
        body = response.text
        for relation, tenant in self.world.tenants.items():
            if not self.sees(relation) and relation != reveals:
                assert tenant.name not in body, f"{self.role} was shown {relation}'s name"
                assert tenant.resident_email not in body, f"{self.role} was shown {relation}'s people"
        seen_msps = {m.msp_id for m in self.world.memberships[self.role]}
        for msp_id, name in self.world.msp_names.items():
            if msp_id not in seen_msps and (reveals is None or self.world.tenants[reveals].msp_id != msp_id):
                assert name not in body, f"{self.role} was shown another MSP"

    def refused(self, response: httpx.Response) -> None:
        """Refused: 403 for a signed-in caller; the sign-in page for a session with no organisation."""
        if self.has_organisation:
            assert response.status_code == 403, (response.status_code, response.text[:300])
        else:
            assert (response.status_code, response.headers.get("location")) == (303, "/sign-in")


def same_answer(one: httpx.Response, other: httpx.Response) -> None:
    """Two answers a caller cannot tell apart (ids aside): a refusal reveals nothing of existence."""
    assert one.status_code == other.status_code
    assert one.headers.get("location") == other.headers.get("location")
    assert _UUID.sub("<id>", one.text) == _UUID.sub("<id>", other.text)


# -- the rows: one per route ---------------------------------------------------------------------

Check = Callable[[Case], None]
ROWS: dict[tuple[str, str], tuple[tuple[str | None, ...], Check]] = {}
_SELF = (None,)


def row(method: str, path: str, relations: tuple[str | None, ...] = _SELF) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        ROWS[(method, path)] = (relations, check)
        return check
    return register


def _page_for_every_role(case: Case, response: httpx.Response, expected: int = 200) -> None:
    if case.has_organisation:
        assert response.status_code == expected, (response.status_code, response.text[:300])
    else:
        assert (response.status_code, response.headers.get("location")) == (303, "/sign-in")


# Public: the same for everyone; checked for leaks and for never failing.
for _method, _path, _url, _data in [
    ("GET", "/healthz", "/healthz", None), ("GET", "/readyz", "/readyz", None),
    ("GET", "/sign-in", "/sign-in", None), ("GET", "/password-reset", "/password-reset", None),
    ("GET", "/password-reset/{token:str}", "/password-reset/not-a-token", None),
    ("GET", "/sign-in/second-factor", "/sign-in/second-factor", None),
    ("GET", "/invitations/{token:str}", "/invitations/not-a-token", None),
    ("GET", "/onboarding/callback", "/onboarding/callback?state=forged&tenant=00000000-0000-0000-0000-000000000000",
     None),
    ("GET", "/static/{file_path:path}", "/static/portal.css", None),
    ("HEAD", "/static/{file_path:path}", "/static/portal.css", None),
    ("POST", "/password-reset/{token:str}", "/password-reset/not-a-token", {"password": "x", "confirm": "x"}),
    ("POST", "/sign-in/second-factor", "/sign-in/second-factor", {"code": "123456"}),
    ("POST", "/invitations/{token:str}/new", "/invitations/not-a-token/new",
     {"display_name": "X", "password": "x", "confirm": "x"}),
]:
    def _public(case: Case, method: str = _method, url: str = _url, data: dict[str, str] | None = _data) -> None:
        if method == "POST":
            response = case.post(url, data)
            assert response.status_code in (400, 303)
        else:
            response = case.client.request(method, url, follow_redirects=False)
            case.assert_no_leak(response)
    row(_method, _path)(_public)


@row("POST", "/sign-in")
def _sign_in(case: Case) -> None:
    response = case.post("/sign-in", {"email": case.email, "password": PASSWORD})
    assert (response.status_code, response.headers["location"]) == (303, "/")
    case.assert_no_leak(case.get("/"))


@row("POST", "/password-reset")
def _password_reset(case: Case) -> None:
    response = case.post("/password-reset", {"email": case.email})
    assert response.status_code == 200  # the same answer for every address, known or not


@row("GET", "/")
def _home(case: Case) -> None:
    response = case.get("/")
    if case.role.startswith("customer"):
        own = case.world.tenants["own"].customer_id
        assert (response.status_code, response.headers["location"]) == (303, f"/customers/{own}")
    elif case.has_organisation:
        assert (response.status_code, response.headers["location"]) == (303, "/fleet")  # staff start at the fleet
    else:
        assert response.status_code == 200 and "No organisation yet" in response.text


def _fleet_names(case: Case, body: str) -> None:
    """The fleet names exactly the tenants the role sees."""
    for relation, tenant in case.world.tenants.items():
        assert (tenant.name in body) is case.sees(relation), relation


def _customer_path(case: Case) -> str:
    return f"/customers/{case.tenant.customer_id}"


def _refused_unless_seen(case: Case, response: httpx.Response, missing: httpx.Response) -> None:
    """404 where the role does not see the tenant, exactly the answer for one that does not exist."""
    assert response.status_code == (404 if case.has_organisation else 303)
    same_answer(response, missing)


@row("GET", "/customers/{customer_id:uuid}", CUSTOMERS)
def _customer_page(case: Case) -> None:
    response = case.get(_customer_path(case))
    if case.sees(case.relation):
        assert response.status_code == 200 and case.tenant.name in response.text
    else:
        _refused_unless_seen(case, response, case.get(f"/customers/{uuid.uuid4()}"))


@row("GET", "/customers/{customer_id:uuid}/findings/{check_id:str}", CUSTOMERS)
def _finding_page(case: Case) -> None:
    response = case.get(f"{_customer_path(case)}/findings/{case.world.check_id}")
    if case.sees(case.relation):
        assert response.status_code == 200 and case.tenant.name in response.text
    else:
        _refused_unless_seen(case, response, case.get(f"/customers/{uuid.uuid4()}/findings/{case.world.check_id}"))


#: Who may start a scan: MSP staff who see the tenant, where the tier is Operate or above.
STARTS_SCANS = {"msp_admin": {"own", "sibling"}, "msp_analyst": {"own", "sibling"}, "analyst_east": {"own"}}


@row("POST", "/customers/{customer_id:uuid}/scans", CUSTOMERS)
def _scan_now(case: Case) -> None:
    count = "SELECT count(*) FROM scans WHERE customer_id = :c AND trigger = 'manual'"
    before = case.world.scalar(count, c=case.tenant.customer_id)
    response = case.post(f"{_customer_path(case)}/scans")
    made = case.world.scalar(count, c=case.tenant.customer_id) - before  # type: ignore[operator]
    if case.relation in STARTS_SCANS.get(case.role, set()):
        assert response.status_code == 303 and made == 1
        with case.world.owner.begin() as connection:  # let the next case start one too
            set_scope(connection, case.tenant.msp_id)
            connection.execute(text("UPDATE scans SET status = 'completed', queued_at = now() - interval '1 day' "
                                    "WHERE customer_id = :c AND trigger = 'manual'"), {"c": case.tenant.customer_id})
        return
    assert made == 0
    if case.sees(case.relation):
        case.refused(response)  # seen, but the role or the tier does not allow it
    else:
        _refused_unless_seen(case, response, case.post(f"/customers/{uuid.uuid4()}/scans"))


@row("GET", "/customers/{customer_id:uuid}/scans/{scan_id:uuid}/progress", CUSTOMERS)
def _scan_progress(case: Case) -> None:
    scan_id = case.world.scans[case.relation]
    response = case.get(f"{_customer_path(case)}/scans/{scan_id}/progress")
    if case.sees(case.relation):
        assert response.status_code == 200 and "Scan" in response.text
    else:
        _refused_unless_seen(case, response, case.get(f"{_customer_path(case)}/scans/{uuid.uuid4()}/progress"))


@row("GET", "/customers/new")
def _new_customer_page(case: Case) -> None:
    response = case.get("/customers/new")
    if case.role == "msp_admin":
        assert response.status_code == 200
    else:
        case.refused(response)


@row("POST", "/customers/new")
def _add_customer(case: Case) -> None:
    name = f"Added {uuid.uuid4().hex[:8]}"
    response = case.post("/customers/new", {"name": name})
    made = case.world.scalar("SELECT count(*) FROM customers WHERE name = :n", n=name)
    if case.role == "msp_admin":
        assert response.status_code == 303 and made == 1
    else:
        assert made == 0
        case.refused(response)


@row("POST", "/customers/{customer_id:uuid}/consent-link", CUSTOMERS)
def _consent_link(case: Case) -> None:
    count = "SELECT count(*) FROM onboarding_requests WHERE customer_id = :c"
    before = case.world.scalar(count, c=case.tenant.customer_id)
    response = case.post(f"{_customer_path(case)}/consent-link")
    made = case.world.scalar(count, c=case.tenant.customer_id) - before  # type: ignore[operator]
    # MSP admins connect any of the MSP's customers; others only at the Manage tier (no tenant here has it).
    if case.role == "msp_admin" and case.relation != "other_msp":
        assert response.status_code == 200 and made == 1 and "adminconsent" in response.text
        return
    assert made == 0
    if case.sees(case.relation):
        case.refused(response)
    else:
        _refused_unless_seen(case, response, case.post(f"/customers/{uuid.uuid4()}/consent-link"))


@row("POST", "/customers/{customer_id:uuid}/break-glass", CUSTOMERS)
def _break_glass(case: Case) -> None:
    marker = str(uuid.uuid4())
    read = "SELECT count(*) FROM customers WHERE id = :c AND :m = ANY (break_glass_ids)"
    response = case.post(f"{_customer_path(case)}/break-glass", {"ids": marker})
    recorded = case.world.scalar(read, c=case.tenant.customer_id, m=marker)
    # As consent links: MSP admins for any of the MSP's customers; others only at the Manage tier (none here).
    # Customer people never: a tenant's own admin could make any exclusion pass.
    if case.role == "msp_admin" and case.relation != "other_msp":
        assert response.status_code == 303 and recorded == 1
        return
    assert recorded == 0
    if case.sees(case.relation):
        case.refused(response)
    else:
        _refused_unless_seen(case, response, case.post(f"/customers/{uuid.uuid4()}/break-glass", {"ids": marker}))


@row("GET", "/fleet")
def _fleet(case: Case) -> None:
    response = case.get("/fleet")
    if case.role.startswith("msp") or case.role == "analyst_east":
        assert response.status_code == 200
        _fleet_names(case, response.text)
    else:
        case.refused(response)


@row("GET", "/fleet/export.csv")
def _fleet_export(case: Case) -> None:
    response = case.get("/fleet/export.csv")
    if case.role.startswith("msp") or case.role == "analyst_east":
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        _fleet_names(case, response.text)
    else:
        case.refused(response)


@row("POST", "/sign-out")
def _sign_out(case: Case) -> None:
    response = case.post("/sign-out")
    assert (response.status_code, response.headers["location"]) == (303, "/sign-in")
    assert case.get("/").headers.get("location") == "/sign-in"  # the session is over


@row("POST", "/organisation", CUSTOMERS)
def _switch(case: Case) -> None:
    # Nobody may switch into an organisation they do not belong to, however the key is forged.
    response = case.post("/organisation", {"organisation": f"{case.tenant.msp_id}:{case.tenant.customer_id}"})
    assert response.status_code == 303
    belongs = case.role.startswith("customer") and case.relation == "own"
    assert ("posture_org" in response.headers.get("set-cookie", "")) is belongs


@row("GET", "/account/tokens")
def _tokens_page(case: Case) -> None:
    _page_for_every_role(case, case.get("/account/tokens"))


@row("POST", "/account/tokens")
def _make_token(case: Case) -> None:
    name = f"matrix {uuid.uuid4().hex[:8]}"
    response = case.post("/account/tokens", {"name": name, "days": "1", "access": "read"})
    _page_for_every_role(case, response)
    made = case.world.scalar("SELECT count(*) FROM api_tokens WHERE user_id = :u AND name = :n",
                             u=case.user_id, n=name)
    assert made == (1 if case.has_organisation else 0)


@row("POST", "/account/tokens/{token_id:uuid}/revoke", ("self", *CUSTOMERS))
def _revoke_token(case: Case) -> None:
    if case.relation == "self":
        if not case.has_organisation:
            return  # no organisation, no token to revoke
        owner, email, membership = case.user_id, case.email, case.world.memberships[case.role][0]
    else:
        tenant = case.tenant
        owner, email = tenant.resident_id, tenant.resident_email
        membership = MembershipView(msp_id=tenant.msp_id, role=Role.CUSTOMER_ADMIN, customer_id=tenant.customer_id)
    token_id, _ = token_for(case.world.web, owner, email, membership)
    response = case.post(f"/account/tokens/{token_id}/revoke")
    revoked = case.world.scalar("SELECT revoked_at IS NOT NULL FROM api_tokens WHERE id = :i", i=token_id)
    assert revoked is (case.relation == "self")
    if case.relation != "self":
        same_answer(response, case.post(f"/account/tokens/{uuid.uuid4()}/revoke"))


@row("GET", "/account/password")
def _password_page(case: Case) -> None:
    _page_for_every_role(case, case.get("/account/password"))


@row("POST", "/account/password")
def _change_password(case: Case) -> None:
    response = case.post("/account/password", {"current": PASSWORD, "password": "x" * 20, "confirm": "y" * 20})
    _page_for_every_role(case, response, expected=400)


@row("GET", "/account/two-factor")
def _two_factor_page(case: Case) -> None:
    _page_for_every_role(case, case.get("/account/two-factor"))


@row("POST", "/account/two-factor/begin")
def _two_factor_begin(case: Case) -> None:
    case.as_a_fresh_person()
    _page_for_every_role(case, case.post("/account/two-factor/begin"))


@row("POST", "/account/two-factor/confirm")
def _two_factor_confirm(case: Case) -> None:
    _page_for_every_role(case, case.post("/account/two-factor/confirm", {"code": "000000"}), expected=400)


@row("POST", "/account/two-factor/requirement")
def _require_two_factor(case: Case) -> None:
    required = "SELECT require_totp_for_staff FROM msps WHERE id = :m"
    try:
        response = case.post("/account/two-factor/requirement", {"required": "on"})
        if case.role == "msp_admin":
            assert response.status_code == 303
            assert case.world.scalar(required, m=case.world.msp_a) is True
        else:
            case.refused(response)
            assert case.world.scalar(required, m=case.world.msp_a) is False
    finally:
        with case.world.owner.begin() as connection:
            connection.execute(text("UPDATE msps SET require_totp_for_staff = false WHERE id = :m"),
                               {"m": case.world.msp_a})


@row("GET", "/team")
def _team_page(case: Case) -> None:
    response = case.get("/team")
    if case.role in MANAGES_USERS:
        assert response.status_code == 200
        assert case.world.tenants["own"].resident_email in response.text
    else:
        case.refused(response)


def _target_membership(case: Case) -> tuple[uuid.UUID, uuid.UUID]:
    """A new member to act on: an analyst of MSP A ("msp"), or a viewer of the relation's tenant."""
    if case.relation == "msp":
        membership = MembershipView(msp_id=case.world.msp_a, role=Role.MSP_ANALYST)
    else:
        tenant = case.tenant
        membership = MembershipView(msp_id=tenant.msp_id, role=Role.CUSTOMER_VIEWER, customer_id=tenant.customer_id)
    user_id, _ = case.world.person([membership], "target")
    membership_id = case.world.scalar("SELECT id FROM memberships WHERE user_id = :u", u=user_id)
    return user_id, membership_id  # type: ignore[return-value]


def _may_manage(case: Case) -> bool:
    if case.relation == "msp":
        return case.role == "msp_admin"
    return case.relation in MANAGES_USERS.get(case.role, set())


def _refused_as_if_missing(case: Case, response: httpx.Response, again: Callable[[], httpx.Response]) -> None:
    case.refused(response)
    if case.relation not in SEES[case.role]:
        same_answer(response, again())


@row("POST", "/team/invitations", (*CUSTOMERS, "msp"))
def _invite(case: Case) -> None:
    email = f"invitee-{uuid.uuid4().hex[:8]}@matrix.test"
    if case.relation == "msp":
        form = {"email": email, "role": "msp_analyst"}
    else:
        form = {"email": email, "role": "customer_viewer", "customer_id": str(case.tenant.customer_id)}
    response = case.post("/team/invitations", form)
    sent = case.world.scalar("SELECT count(*) FROM invitations WHERE email = :e", e=email)
    if _may_manage(case):
        assert response.status_code == 200 and sent == 1
    else:
        assert sent == 0
        _refused_as_if_missing(case, response, lambda: case.post("/team/invitations", {
            **form, "email": f"other-{uuid.uuid4().hex[:8]}@matrix.test", "customer_id": str(uuid.uuid4())}))


@row("POST", "/team/members/{membership_id:uuid}", (*CUSTOMERS, "msp"))
def _change_member(case: Case) -> None:
    _, membership_id = _target_membership(case)
    new_role = "msp_admin" if case.relation == "msp" else "customer_admin"
    response = case.post(f"/team/members/{membership_id}", {"role": new_role})
    role = case.world.scalar("SELECT role::text FROM memberships WHERE id = :i", i=membership_id)
    if _may_manage(case):
        assert response.status_code == 303 and role == new_role
    else:
        assert role != new_role
        _refused_as_if_missing(case, response, lambda: case.post(f"/team/members/{uuid.uuid4()}", {"role": new_role}))


@row("POST", "/team/members/{membership_id:uuid}/remove", (*CUSTOMERS, "msp"))
def _remove_member(case: Case) -> None:
    _, membership_id = _target_membership(case)
    response = case.post(f"/team/members/{membership_id}/remove")
    left = case.world.scalar("SELECT count(*) FROM memberships WHERE id = :i", i=membership_id)
    if _may_manage(case):
        assert response.status_code == 303 and left == 0
    else:
        assert left == 1
        _refused_as_if_missing(case, response, lambda: case.post(f"/team/members/{uuid.uuid4()}/remove"))


def _invitation(case: Case, email: str, tenant: Tenant) -> str:
    """An open invitation to ``email`` as a viewer of ``tenant``, made as the portal makes them; its token."""
    captured: list[str] = []

    class Capture:
        def send(self, message: EmailMessage) -> None:
            captured.append(message.get_content())

    # Made by the tenant's own admin: the tier does not bound them, so the Monitor tenant invites too.
    inviter = MembershipView(msp_id=tenant.msp_id, role=Role.CUSTOMER_ADMIN, customer_id=tenant.customer_id)
    scope = Scope(msp_id=tenant.msp_id, customer_ids=frozenset({tenant.customer_id}), actor=tenant.resident_email,
                  user_id=tenant.resident_id)
    with unit_of_work(case.world.web, scope) as uow:
        invite(uow, case.world.web, inviter, email=email, role=Role.CUSTOMER_VIEWER, customer_id=tenant.customer_id,
               mailer=Capture(), link_base="http://portal")  # type: ignore[arg-type]
    return re.search(r"/invitations/([A-Za-z0-9_-]+)", captured[0]).group(1)  # type: ignore[union-attr]


@row("POST", "/invitations/{token:str}/accept", ("self", *CUSTOMERS))
def _accept(case: Case) -> None:
    if case.relation == "self":
        case.as_a_fresh_person()  # joining changes the caller: a person of their own for it
        token = _invitation(case, case.email, case.world.tenants["sibling"])
        response = case.post(f"/invitations/{token}/accept", reveals="sibling")
        joined = case.world.scalar("SELECT count(*) FROM memberships WHERE user_id = :u AND customer_id = :c",
                                   u=case.user_id, c=case.world.tenants["sibling"].customer_id)
        # A person with no organisation yet joins too: that is how they get one.
        assert response.status_code == 303 and joined == 1
        assert "invitation.accepted" in case.world.scalar(
            "SELECT string_agg(action, ',') FROM audit_events WHERE target = 'invitation:' || "
            "(SELECT id FROM invitations WHERE accepted_by = :u)::text", u=case.user_id)
        return
    # Someone else's invitation: whoever holds the link may read it (it is the link's secret), never take it.
    token = _invitation(case, f"someone-{uuid.uuid4().hex[:8]}@matrix.test", case.tenant)
    response = case.post(f"/invitations/{token}/accept", reveals=case.relation)
    spent = case.world.scalar("SELECT count(*) FROM invitations WHERE token_hash = sha256(convert_to(:t, 'UTF8')) "
                              "AND accepted_at IS NOT NULL", t=token)
    assert spent == 0
    assert response.status_code == 400


@row("GET", "/audit", CUSTOMERS)
def _audit(case: Case) -> None:
    # Filtered on the relation's tenant (and the seeded event's action, so other rows' token uses do not
    # page it away): a filter never widens what row-level security shows.
    response = case.get("/audit", params={"customer": str(case.tenant.customer_id), "action": "matrix.seeded"})
    if case.role in READS_AUDIT:
        assert response.status_code == 200
        assert (case.tenant.resident_email in response.text) is case.sees(case.relation)
    else:
        case.refused(response)


@row("GET", "/api/v1/customers", ("session", "token"))
def _customers_api(case: Case) -> None:
    headers = {}
    if case.relation == "token":
        if not case.has_organisation:
            return  # no organisation, no token
        _, token = token_for(case.world.web, case.user_id, case.email, case.world.memberships[case.role][0])
        case.client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
    response = case.get("/api/v1/customers", headers=headers)
    if not case.has_organisation:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    names = {c["name"] for c in response.json()["customers"]}
    assert names == {case.world.tenants[r].name for r in SEES[case.role]}


#: Who may accept a failing finding as a risk: MSP staff who see the tenant at the Operate tier or above,
#: and the tenant's own admins (never its viewers).
ACCEPTS_RISKS = {"msp_admin": {"own", "sibling"}, "msp_analyst": {"own", "sibling"}, "analyst_east": {"own"},
                 "customer_admin": {"own"}}
_STANDING = "SELECT count(*) FROM risk_acceptances WHERE customer_id = :c AND check_id = :k AND revoked_at IS NULL"


def _clear_acceptances(case: Case) -> None:
    with case.world.owner.begin() as connection:
        set_scope(connection, case.tenant.msp_id)
        connection.execute(text("UPDATE risk_acceptances SET revoked_at = now(), revoked_by = 'matrix' "
                                "WHERE customer_id = :c AND revoked_at IS NULL"), {"c": case.tenant.customer_id})


@row("POST", "/customers/{customer_id:uuid}/findings/{check_id:str}/acceptance", CUSTOMERS)
def _accept_risk(case: Case) -> None:
    expires_on = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    form = {"reason": "compensating control in place", "expires_on": expires_on}
    path = f"findings/{case.world.check_id}/acceptance"
    _acceptance_outcome(case, case.post(f"{_customer_path(case)}/{path}", form), done=1, untouched=0,
                        missing=lambda: case.post(f"/customers/{uuid.uuid4()}/{path}", form))


def _acceptance_outcome(case: Case, response: httpx.Response, *, done: int, untouched: int,
                        missing: Callable[[], httpx.Response]) -> None:
    """Done (``done`` standing acceptances left) where the role may; else refused and ``untouched``."""
    standing = case.world.scalar(_STANDING, c=case.tenant.customer_id, k=case.world.check_id)
    _clear_acceptances(case)
    if case.relation in ACCEPTS_RISKS.get(case.role, set()):
        assert response.status_code == 303 and standing == done
        return
    assert standing == untouched
    if case.sees(case.relation):
        case.refused(response)
    else:
        _refused_unless_seen(case, response, missing())


def _seed_acceptance(case: Case) -> None:
    """A standing acceptance of the matrix's failing check in the case's tenant."""
    with case.world.owner.begin() as connection:
        set_scope(connection, case.tenant.msp_id)
        connection.execute(text("INSERT INTO risk_acceptances (msp_id, customer_id, check_id, reason, expires_at, "
                                "accepted_by) VALUES (:m, :c, :k, 'seeded', now() + interval '1 day', 'matrix')"),
                           {"m": case.tenant.msp_id, "c": case.tenant.customer_id, "k": case.world.check_id})


@row("POST", "/customers/{customer_id:uuid}/findings/{check_id:str}/acceptance/revoke", CUSTOMERS)
def _revoke_risk(case: Case) -> None:
    _seed_acceptance(case)
    path = f"findings/{case.world.check_id}/acceptance/revoke"
    _acceptance_outcome(case, case.post(f"{_customer_path(case)}/{path}"), done=0, untouched=1,
                        missing=lambda: case.post(f"/customers/{uuid.uuid4()}/{path}"))


def _is_staff(case: Case) -> bool:
    return case.role in ("msp_admin", "msp_analyst", "analyst_east")


@row("GET", "/search")
def _search_page(case: Case) -> None:
    response = case.get(f"/search?q=check:{case.world.check_id}")
    if _is_staff(case):
        assert response.status_code == 200
        _fleet_names(case, response.text)
    else:
        case.refused(response)


@row("GET", "/search/export.csv")
def _search_export(case: Case) -> None:
    response = case.get(f"/search/export.csv?q=check:{case.world.check_id}")
    if _is_staff(case):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        _fleet_names(case, response.text)
    else:
        case.refused(response)


@row("POST", "/search/saved")
def _save_search(case: Case) -> None:
    name = f"matrix {uuid.uuid4().hex[:8]}"
    response = case.post("/search/saved", {"name": name, "query": "status:fail", "shared": "on"})
    saved = case.world.scalar("SELECT count(*) FROM saved_searches WHERE name = :n", n=name)
    if _is_staff(case):
        assert response.status_code == 303 and saved == 1
    else:
        assert saved == 0
        case.refused(response)


@row("POST", "/search/saved/{saved_id:uuid}/delete", ("own", "colleague"))
def _delete_saved_search(case: Case) -> None:
    owner_id = case.user_id if case.relation == "own" else case.world.people["msp_admin"][0]
    saved_id = uuid.uuid4()
    with case.world.owner.begin() as connection:
        connection.execute(text("INSERT INTO saved_searches (id, msp_id, user_id, name, query, shared) "
                                "VALUES (:i, :m, :u, :n, 'status:fail', true)"),
                           {"i": saved_id, "m": case.world.msp_a, "u": owner_id, "n": f"matrix {saved_id.hex[:8]}"})
    response = case.post(f"/search/saved/{saved_id}/delete")
    left = case.world.scalar("SELECT count(*) FROM saved_searches WHERE id = :i", i=saved_id)
    if _is_staff(case) and (case.relation == "own" or case.role == "msp_admin"):
        assert response.status_code == 303 and left == 0  # one's own (the colleague of an admin is the admin)
    elif _is_staff(case):
        assert response.status_code == 404 and left == 1  # a colleague's shared search is not theirs to delete
    else:
        assert left == 1
        case.refused(response)


@row("POST", "/search/reverify")
def _reverify(case: Case) -> None:
    count = "SELECT count(*) FROM scans WHERE customer_id = :c AND trigger = 'reverify' AND status = 'queued'"
    response = case.post("/search/reverify", {"query": f"check:{case.world.check_id}"})
    made = {relation: case.world.scalar(count, c=tenant.customer_id) for relation, tenant in case.world.tenants.items()}
    # No worker here: finish them, so the next case finds no scan under way.
    with case.world.owner.begin() as connection:
        connection.execute(text("UPDATE scans SET status = 'completed' WHERE trigger = 'reverify'"))
    if _is_staff(case):
        assert response.status_code == 303
        assert {r for r, n in made.items() if n} == STARTS_SCANS[case.role]  # what the role may scan, nothing more
    else:
        assert not any(made.values())
        case.refused(response)


@row("GET", "/search/reverify/{run_id:uuid}/progress", ("own_msp", "other_msp"))
def _reverify_progress(case: Case) -> None:
    tenant = case.world.tenants["own" if case.relation == "own_msp" else "other_msp"]
    run_id = uuid.uuid4()
    with case.world.owner.begin() as connection:
        connection.execute(text("INSERT INTO reverify_runs (id, msp_id, created_by, query, check_ids, tenants) "
                                "VALUES (:i, :m, 'matrix', 'status:fail', '{}', 1)"), {"i": run_id, "m": tenant.msp_id})
        connection.execute(text("INSERT INTO scans (id, msp_id, customer_id, trigger, status, reverify_id, "
                                "finished_at) VALUES (:s, :m, :c, 'reverify', 'completed', :i, now())"),
                           {"s": uuid.uuid4(), "m": tenant.msp_id, "c": tenant.customer_id, "i": run_id})
    response = case.get(f"/search/reverify/{run_id}/progress")
    if not _is_staff(case):
        case.refused(response)
    elif case.relation == "own_msp":
        assert response.status_code == 200 and "1 of 1 tenants" in response.text
        assert (tenant.name in response.text) is case.sees("own")
    else:
        _refused_unless_seen(case, response, case.get(f"/search/reverify/{uuid.uuid4()}/progress"))


@row("GET", "/api/v1/search", ("session", "token"))
def _search_api(case: Case) -> None:
    headers = {}
    if case.relation == "token":
        if not case.has_organisation:
            return  # no organisation, no token
        _, token = token_for(case.world.web, case.user_id, case.email, case.world.memberships[case.role][0])
        case.client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
    response = case.get(f"/api/v1/search?q=check:{case.world.check_id}", headers=headers)
    if not case.has_organisation:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    names = {r["customer"]["name"] for r in response.json()["results"]}
    assert names == {case.world.tenants[r].name for r in SEES[case.role]}




def _since_the_world_began() -> str:
    return (dt.date.today() - dt.timedelta(days=10)).isoformat()


@row("GET", "/changes")
def _fleet_changes(case: Case) -> None:
    response = case.get(f"/changes?period=since&since={_since_the_world_began()}")
    if _is_staff(case):
        assert response.status_code == 200
        _fleet_names(case, response.text)  # every tenant's critical is new since then: each seen one is listed
    else:
        case.refused(response)


@row("GET", "/customers/{customer_id:uuid}/changes", CUSTOMERS)
def _customer_changes(case: Case) -> None:
    response = case.get(f"{_customer_path(case)}/changes")
    if case.sees(case.relation):
        assert response.status_code == 200 and case.tenant.name in response.text and "new" in response.text
    else:
        _refused_unless_seen(case, response, case.get(f"/customers/{uuid.uuid4()}/changes"))


@row("GET", "/api/v1/drift", ("session", "token"))
def _drift_api(case: Case) -> None:
    headers = {}
    if case.relation == "token":
        if not case.has_organisation:
            return
        _, token = token_for(case.world.web, case.user_id, case.email, case.world.memberships[case.role][0])
        case.client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
    response = case.get(f"/api/v1/drift?since={_since_the_world_began()}", headers=headers)
    if not case.has_organisation:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    names = {c["customer"]["name"] for c in response.json()["changes"]}
    assert names == {case.world.tenants[r].name for r in SEES[case.role]}
    # Asking for a customer the role does not see gives that customer's nothing, not an error that tells.
    other = case.get(f"/api/v1/drift?since={_since_the_world_began()}"
                     f"&customer={case.world.tenants['other_msp'].customer_id}", headers=headers)
    assert other.status_code == 200 and other.json()["changes"] == []


#: Who sets a tenant's schedule: MSP admins (any tier), analysts at the Manage tier (none in this world).
SCHEDULES = {"msp_admin": {"own", "sibling", "monitor"}}
_SCHEDULE = "SELECT scan_interval_hours FROM customers WHERE id = :c"


@row("POST", "/customers/{customer_id:uuid}/schedule", CUSTOMERS)
def _set_schedule(case: Case) -> None:
    response = case.post(f"{_customer_path(case)}/schedule", {"interval_hours": "168"})
    interval = case.world.scalar(_SCHEDULE, c=case.tenant.customer_id)
    with case.world.owner.begin() as connection:  # as it was, for the next case
        set_scope(connection, case.tenant.msp_id)
        connection.execute(text("UPDATE customers SET scan_interval_hours = 24 WHERE id = :c"),
                           {"c": case.tenant.customer_id})
    if case.relation in SCHEDULES.get(case.role, set()):
        assert response.status_code == 303 and interval == 168
        return
    assert interval == 24
    if case.sees(case.relation):
        case.refused(response)
    else:
        missing = case.post(f"/customers/{uuid.uuid4()}/schedule", {"interval_hours": "168"})
        _refused_unless_seen(case, response, missing)


@row("POST", "/customers/{customer_id:uuid}/suspension", CUSTOMERS)
def _suspend(case: Case) -> None:
    response = case.post(f"{_customer_path(case)}/suspension", {"suspended": "1"})
    suspended = case.world.scalar("SELECT suspended_at IS NOT NULL FROM customers WHERE id = :c",
                                  c=case.tenant.customer_id)
    with case.world.owner.begin() as connection:
        set_scope(connection, case.tenant.msp_id)
        connection.execute(text("UPDATE customers SET suspended_at = NULL, suspended_by = NULL WHERE id = :c"),
                           {"c": case.tenant.customer_id})
    if case.role == "msp_admin" and case.sees(case.relation):
        assert response.status_code == 303 and suspended
        return
    assert not suspended
    if case.sees(case.relation):
        case.refused(response)
    else:
        _refused_unless_seen(case, response, case.post(f"/customers/{uuid.uuid4()}/suspension", {"suspended": "1"}))


# -- alerts: MSP staff read, MSP admins change ----------------------------------------------------------

_CHANNELS = "SELECT count(*) FROM alert_channels WHERE msp_id = :m AND name = :n AND deleted_at IS NULL"


def _alert_channel(case: Case, msp_id: uuid.UUID) -> uuid.UUID:
    """A channel of ``msp_id``'s, made as its owner would (sealed bytes do not matter here)."""
    channel_id = uuid.uuid4()
    with case.world.owner.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text("INSERT INTO alert_channels (id, msp_id, kind, name, target_sealed, target_hint, "
                                "created_by) VALUES (:i, :m, 'email', :n, '\\x00', 'soc@msp.test', 'matrix')"),
                           {"i": channel_id, "m": msp_id, "n": f"matrix {channel_id.hex[:8]}"})
    return channel_id


def _msp_of(case: Case) -> uuid.UUID:
    return case.world.msp_a if case.relation == "own_msp" else case.world.tenants["other_msp"].msp_id


@row("GET", "/alerts")
def _alerts_page(case: Case) -> None:
    response = case.get("/alerts")
    if _is_staff(case):
        assert response.status_code == 200 and "Delivery log" in response.text
        assert ("Add channel" in response.text) is (case.role == "msp_admin")
    else:
        case.refused(response)


@row("POST", "/alerts/channels")
def _add_alert_channel(case: Case) -> None:
    name = f"matrix {uuid.uuid4().hex[:8]}"
    response = case.post("/alerts/channels", {"kind": "email", "name": name, "target": "soc@msp.test"})
    made = case.world.scalar(_CHANNELS, m=case.world.msp_a, n=name)
    if case.role == "msp_admin":
        assert response.status_code == 303 and made == 1
    else:
        assert made == 0
        case.refused(response)


@row("POST", "/alerts/channels/{channel_id:uuid}/delete", ("own_msp", "other_msp"))
def _remove_alert_channel(case: Case) -> None:
    channel_id = _alert_channel(case, _msp_of(case))
    response = case.post(f"/alerts/channels/{channel_id}/delete")
    gone = case.world.scalar("SELECT deleted_at IS NOT NULL FROM alert_channels WHERE id = :i", i=channel_id)
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 303 and gone
    elif case.role == "msp_admin":
        assert response.status_code == 404 and not gone  # another MSP's channel: as if there were none
    else:
        assert not gone
        case.refused(response)


@row("POST", "/alerts/channels/{channel_id:uuid}/test", ("own_msp", "other_msp"))
def _test_alert_channel(case: Case) -> None:
    channel_id = _alert_channel(case, _msp_of(case))
    response = case.post(f"/alerts/channels/{channel_id}/test")
    queued = case.world.scalar("SELECT count(*) FROM alert_deliveries WHERE channel_id = :i", i=channel_id)
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 303 and queued == 1
    elif case.role == "msp_admin":
        assert response.status_code == 404 and queued == 0
    else:
        assert queued == 0
        case.refused(response)


@row("POST", "/alerts/rules", ("own_msp", "other_msp"))
def _add_alert_rule(case: Case) -> None:
    channel_id = _alert_channel(case, _msp_of(case))
    response = case.post("/alerts/rules", {"condition": "new_critical", "channel_id": str(channel_id)})
    made = case.world.scalar("SELECT count(*) FROM alert_rules WHERE channel_id = :i", i=channel_id)
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 303 and made == 1
    elif case.role == "msp_admin":
        assert response.status_code == 400 and made == 0  # another MSP's channel is no channel of ours
    else:
        assert made == 0
        case.refused(response)


@row("POST", "/alerts/rules/{rule_id:uuid}/delete", ("own_msp", "other_msp"))
def _remove_alert_rule(case: Case) -> None:
    msp_id = _msp_of(case)
    channel_id, rule_id = _alert_channel(case, msp_id), uuid.uuid4()
    with case.world.owner.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text("INSERT INTO alert_rules (id, msp_id, condition, channel_id, created_by) "
                                "VALUES (:i, :m, 'regressed', :c, 'matrix')"),
                           {"i": rule_id, "m": msp_id, "c": channel_id})
    response = case.post(f"/alerts/rules/{rule_id}/delete")
    gone = case.world.scalar("SELECT deleted_at IS NOT NULL FROM alert_rules WHERE id = :i", i=rule_id)
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 303 and gone
    elif case.role == "msp_admin":
        assert response.status_code == 404 and not gone
    else:
        assert not gone
        case.refused(response)


# -- baselines: MSP staff read alignment, MSP admins change baselines -----------------------------------

def _baseline_of(case: Case, msp_id: uuid.UUID) -> uuid.UUID:
    baseline_id = uuid.uuid4()
    with case.world.owner.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text("INSERT INTO baselines (id, msp_id, name, created_by) VALUES (:i, :m, :n, 'matrix')"),
                           {"i": baseline_id, "m": msp_id, "n": f"matrix {baseline_id.hex[:8]}"})
    return baseline_id


def _baseline_state(case: Case, baseline_id: uuid.UUID) -> tuple[object, ...]:
    with case.world.owner.connect() as connection:
        return tuple(connection.execute(text("SELECT description, deleted_at IS NOT NULL FROM baselines WHERE id = :i"),
                                        {"i": baseline_id}).one())


@row("GET", "/baselines")
def _baselines_page(case: Case) -> None:
    response = case.get("/baselines")
    if _is_staff(case):
        assert response.status_code == 200
        _fleet_names(case, response.text)  # the alignment table names exactly the customers the role sees
    else:
        case.refused(response)


@row("GET", "/baselines/new")
def _new_baseline_page(case: Case) -> None:
    response = case.get("/baselines/new")
    if case.role == "msp_admin":
        assert response.status_code == 200 and "Save baseline" in response.text
    else:
        case.refused(response)


@row("POST", "/baselines/new")
def _create_baseline(case: Case) -> None:
    name = f"matrix {uuid.uuid4().hex[:8]}"
    response = case.post("/baselines/new", {"name": name, "every_check": "on"})
    made = case.world.scalar("SELECT count(*) FROM baselines WHERE name = :n", n=name)
    if case.role == "msp_admin":
        assert response.status_code == 303 and made == 1
    else:
        assert made == 0
        case.refused(response)


@row("GET", "/baselines/{baseline_id:uuid}", ("own_msp", "other_msp"))
def _baseline_page(case: Case) -> None:
    baseline_id = _baseline_of(case, _msp_of(case))
    response = case.get(f"/baselines/{baseline_id}")
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 200 and "Save baseline" in response.text
    elif case.role == "msp_admin":
        assert response.status_code == 404
    else:
        case.refused(response)


@row("POST", "/baselines/{baseline_id:uuid}", ("own_msp", "other_msp"))
def _change_baseline(case: Case) -> None:
    baseline_id = _baseline_of(case, _msp_of(case))
    response = case.post(f"/baselines/{baseline_id}", {"name": f"renamed {baseline_id.hex[:8]}",
                                                       "description": "changed", "every_check": "on"})
    state = _baseline_state(case, baseline_id)
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 303 and state == ("changed", False)
    elif case.role == "msp_admin":
        assert response.status_code == 404 and state == ("", False)
    else:
        assert state == ("", False)
        case.refused(response)


@row("POST", "/baselines/{baseline_id:uuid}/delete", ("own_msp", "other_msp"))
def _remove_baseline(case: Case) -> None:
    baseline_id = _baseline_of(case, _msp_of(case))
    response = case.post(f"/baselines/{baseline_id}/delete")
    state = _baseline_state(case, baseline_id)
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 303 and state == ("", True)
    elif case.role == "msp_admin":
        assert response.status_code == 404 and state == ("", False)
    else:
        assert state == ("", False)
        case.refused(response)


# -- branding: MSP admins (any tier), analysts at the Manage tier (none here); customer roles never ----------

_BRAND = "SELECT display_name FROM brandings WHERE msp_id = :m AND customer_id IS NOT DISTINCT FROM :c"


def _post_multipart(case: Case, path: str, fields: dict[str, str]) -> httpx.Response:
    if case._csrf is None:
        case._csrf = _CSRF.search(case.client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    response = case.client.post(path, data={**fields, "_csrf_token": case._csrf},
                                files={"logo": ("", b"", "application/octet-stream")}, follow_redirects=False)
    case.assert_no_leak(response)
    return response


def _brand_form(name: str) -> dict[str, str]:
    return {"display_name": name, "primary": "#224466", "accent": "#aa3300", "contact": "", "use_own": "on"}


@row("GET", "/branding")
def _branding_page(case: Case) -> None:
    response = case.get("/branding")
    if _is_staff(case):
        assert response.status_code == 200
        assert ("Save" in response.text) is (case.role == "msp_admin")
    else:
        case.refused(response)


@row("POST", "/branding")
def _save_branding(case: Case) -> None:
    name = f"Brand {uuid.uuid4().hex[:8]}"
    response = _post_multipart(case, "/branding", _brand_form(name))
    stored = case.world.scalar(_BRAND, m=case.world.msp_a, c=None)
    if case.role == "msp_admin":
        assert response.status_code == 303 and stored == name
    else:
        assert stored != name
        case.refused(response)


@row("POST", "/branding/preview")
def _preview_branding(case: Case) -> None:
    response = _post_multipart(case, "/branding/preview", _brand_form("Preview Co"))
    if _is_staff(case):
        assert response.status_code == 200 and "Preview Co" in response.text
    else:
        case.refused(response)


@row("GET", "/customers/{customer_id:uuid}/branding", CUSTOMERS)
def _customer_branding_page(case: Case) -> None:
    response = case.get(f"{_customer_path(case)}/branding")
    if not _is_staff(case):
        case.refused(response)
    elif case.sees(case.relation):
        assert response.status_code == 200 and case.tenant.name in response.text
    else:
        _refused_unless_seen(case, response, case.get(f"/customers/{uuid.uuid4()}/branding"))


@row("POST", "/customers/{customer_id:uuid}/branding", CUSTOMERS)
def _save_customer_branding(case: Case) -> None:
    name = f"Own brand {uuid.uuid4().hex[:8]}"
    response = _post_multipart(case, f"{_customer_path(case)}/branding", _brand_form(name))
    stored = case.world.scalar(_BRAND, m=case.tenant.msp_id, c=case.tenant.customer_id)
    if case.role == "msp_admin" and case.sees(case.relation):
        assert response.status_code == 303 and stored == name
        return
    assert stored != name
    if not _is_staff(case) or case.sees(case.relation):
        case.refused(response)
    else:
        missing = _post_multipart(case, f"/customers/{uuid.uuid4()}/branding", _brand_form(name))
        _refused_unless_seen(case, response, missing)


# -- reports: asked for by who may manage reports, downloaded by whoever sees the tenant ----------------

#: Who may ask for a tenant's report: as for accepting risks (Operate tier for MSP staff; its own admins).
MAKES_REPORTS = ACCEPTS_RISKS
_REPORTS = "SELECT count(*) FROM reports WHERE customer_id = :c"


def _ready_report(case: Case, relation: str | None = None, *, fleet_of: uuid.UUID | None = None) -> uuid.UUID:
    """A rendered report of the tenant's scan (or the MSP's fleet report), inserted as a worker leaves it."""
    report_id = uuid.uuid4()
    tenant = case.world.tenants[relation] if relation else None
    msp_id = fleet_of or (tenant.msp_id if tenant else case.world.msp_a)
    with case.world.owner.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text(
            "INSERT INTO reports (id, msp_id, customer_id, scan_id, kind, version, status, pdf, pages) "
            "VALUES (:i, :m, :c, :s, :k, :v, 'ready', :pdf, 1)"),
            {"i": report_id, "m": msp_id, "c": tenant.customer_id if tenant else None,
             "s": case.world.scans[relation] if relation else None, "k": "fleet" if fleet_of else "executive",
             "v": uuid.uuid4().int % 1_000_000 + 1, "pdf": b"%PDF-1.7 matrix " + report_id.bytes})
    return report_id


@row("POST", "/customers/{customer_id:uuid}/reports", CUSTOMERS)
def _make_report(case: Case) -> None:
    before = case.world.scalar(_REPORTS, c=case.tenant.customer_id)
    response = case.post(f"{_customer_path(case)}/reports", {"note": "matrix"})
    made = case.world.scalar(_REPORTS, c=case.tenant.customer_id) - before  # type: ignore[operator]
    if case.relation in MAKES_REPORTS.get(case.role, set()):
        assert response.status_code == 303 and made == 1
        return
    assert made == 0
    if case.sees(case.relation):
        case.refused(response)
    else:
        _refused_unless_seen(case, response, case.post(f"/customers/{uuid.uuid4()}/reports", {"note": "matrix"}))


@row("GET", "/customers/{customer_id:uuid}/reports", CUSTOMERS)
def _reports_card(case: Case) -> None:
    response = case.get(f"{_customer_path(case)}/reports")
    if case.sees(case.relation):
        assert response.status_code == 200 and 'id="reports"' in response.text
    else:
        _refused_unless_seen(case, response, case.get(f"/customers/{uuid.uuid4()}/reports"))


@row("GET", "/customers/{customer_id:uuid}/reports/{report_id:uuid}/pdf", CUSTOMERS)
def _download_report(case: Case) -> None:
    report_id = _ready_report(case, case.relation)
    response = case.get(f"{_customer_path(case)}/reports/{report_id}/pdf")
    if case.sees(case.relation):
        assert response.status_code == 200 and response.content.startswith(b"%PDF-1.7 matrix")
        assert response.headers["content-disposition"].startswith("attachment;")
        # The same report under another of the role's customers: not found.
        other = "sibling" if case.relation != "sibling" else "own"
        if case.sees(other):
            assert case.get(f"/customers/{case.world.tenants[other].customer_id}/reports/{report_id}/pdf"
                            ).status_code == 404
    else:
        missing = case.get(f"{_customer_path(case)}/reports/{uuid.uuid4()}/pdf")
        _refused_unless_seen(case, response, missing)


@row("GET", "/reports")
def _fleet_reports_page(case: Case) -> None:
    response = case.get("/reports")
    if case.role == "msp_admin":
        assert response.status_code == 200 and "Make the fleet report" in response.text
    else:
        case.refused(response)


@row("POST", "/reports")
def _make_fleet_report(case: Case) -> None:
    count = "SELECT count(*) FROM reports WHERE msp_id = :m AND kind = 'fleet'"
    before = case.world.scalar(count, m=case.world.msp_a)
    response = case.post("/reports", {"note": "matrix"})
    made = case.world.scalar(count, m=case.world.msp_a) - before  # type: ignore[operator]
    if case.role == "msp_admin":
        assert response.status_code == 303 and made == 1
    else:
        assert made == 0
        case.refused(response)


@row("GET", "/reports/{report_id:uuid}/pdf", ("own_msp", "other_msp"))
def _download_fleet_report(case: Case) -> None:
    report_id = _ready_report(case, fleet_of=_msp_of(case))
    response = case.get(f"/reports/{report_id}/pdf")
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 200 and response.content.startswith(b"%PDF-1.7 matrix")
    elif case.role == "msp_admin":
        assert response.status_code == 404
    else:
        case.refused(response)


def _api_headers(case: Case, *, read_write: bool = False) -> dict[str, str]:
    _, token = token_for(case.world.web, case.user_id, case.email, case.world.memberships[case.role][0],
                         read_write=read_write)
    case.client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


@row("GET", "/api/v1/customers/{customer_id:uuid}/reports", CUSTOMERS)
def _reports_api(case: Case) -> None:
    _ready_report(case, case.relation)
    headers = _api_headers(case) if case.has_organisation else {}
    response = case.get(f"/api/v1/customers/{case.tenant.customer_id}/reports", headers=headers)
    if not case.has_organisation:
        assert response.status_code == 401
    elif case.sees(case.relation):
        assert response.status_code == 200 and response.json()["reports"]
        assert all(r["download"].startswith("/api/v1/reports/") for r in response.json()["reports"]
                   if r["status"] == "ready")
    else:
        assert response.status_code == 404
        missing = case.get(f"/api/v1/customers/{uuid.uuid4()}/reports", headers=headers)
        same_answer(response, missing)


@row("POST", "/api/v1/customers/{customer_id:uuid}/reports", CUSTOMERS)
def _request_report_api(case: Case) -> None:
    if not case.has_organisation:
        response = case.client.post(f"/api/v1/customers/{case.tenant.customer_id}/reports", json={})
        assert response.status_code == 401
        return
    path = f"/api/v1/customers/{case.tenant.customer_id}/reports"
    # A read-only token, and the browser session, never write through the API.
    assert case.client.post(path, json={}, headers=_api_headers(case)).status_code == 403
    before = case.world.scalar(_REPORTS, c=case.tenant.customer_id)
    response = case.client.post(path, json={"note": "api"}, headers=_api_headers(case, read_write=True))
    case.assert_no_leak(response)
    made = case.world.scalar(_REPORTS, c=case.tenant.customer_id) - before  # type: ignore[operator]
    if case.relation in MAKES_REPORTS.get(case.role, set()):
        assert response.status_code == 202 and made == 1 and response.json()["status"] == "queued"
    elif case.sees(case.relation):
        assert response.status_code == 403 and made == 0
    else:
        assert response.status_code == 404 and made == 0


@row("GET", "/api/v1/reports/{report_id:uuid}/pdf", CUSTOMERS)
def _download_report_api(case: Case) -> None:
    report_id = _ready_report(case, case.relation)
    headers = _api_headers(case) if case.has_organisation else {}
    response = case.get(f"/api/v1/reports/{report_id}/pdf", headers=headers)
    if not case.has_organisation:
        assert response.status_code == 401
    elif case.sees(case.relation):
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    else:
        assert response.status_code == 404


# -- email summaries: set, previewed and tested by who may make reports; unsubscribed by the link's holder --

_CADENCE = "SELECT cadence FROM summary_settings WHERE customer_id = :c"
_TESTS = "SELECT count(*) FROM summary_deliveries WHERE customer_id = :c"


def _summary_read(case: Case, suffix: str, shows: str) -> httpx.Response:
    response = case.get(f"{_customer_path(case)}/summary{suffix}")
    if case.relation in MAKES_REPORTS.get(case.role, set()):
        assert response.status_code == 200 and shows in response.text, response.text[:300]
    elif case.sees(case.relation):
        case.refused(response)
    else:
        _refused_unless_seen(case, response, case.get(f"/customers/{uuid.uuid4()}/summary{suffix}"))
    return response


@row("GET", "/customers/{customer_id:uuid}/summary", CUSTOMERS)
def _summary_page(case: Case) -> None:
    _summary_read(case, "", "Delivery log")


@row("GET", "/customers/{customer_id:uuid}/summary/log", CUSTOMERS)
def _summary_log(case: Case) -> None:
    _summary_read(case, "/log", 'id="log"')


@row("GET", "/customers/{customer_id:uuid}/summary/preview", CUSTOMERS)
def _summary_preview(case: Case) -> None:
    response = _summary_read(case, "/preview", case.tenant.name)
    if response.status_code == 200:
        assert response.headers["content-security-policy"].startswith("sandbox;")


@row("POST", "/customers/{customer_id:uuid}/summary", CUSTOMERS)
def _save_summary(case: Case) -> None:
    before = case.world.scalar(_CADENCE, c=case.tenant.customer_id)
    wanted = "quarterly" if before == "weekly" else "weekly"
    form = {"cadence": wanted, "extra_recipients": "board@matrix.test"}
    response = case.post(f"{_customer_path(case)}/summary", form)
    after = case.world.scalar(_CADENCE, c=case.tenant.customer_id)
    if case.relation in MAKES_REPORTS.get(case.role, set()):
        assert response.status_code == 303 and after == wanted
        return
    assert after == before
    if case.sees(case.relation):
        case.refused(response)
    else:
        _refused_unless_seen(case, response, case.post(f"/customers/{uuid.uuid4()}/summary", {"cadence": wanted}))


@row("POST", "/customers/{customer_id:uuid}/summary/test", CUSTOMERS)
def _test_summary(case: Case) -> None:
    before = case.world.scalar(_TESTS, c=case.tenant.customer_id)
    response = case.post(f"{_customer_path(case)}/summary/test")
    made = case.world.scalar(_TESTS, c=case.tenant.customer_id) - before  # type: ignore[operator]
    if case.relation in MAKES_REPORTS.get(case.role, set()):
        assert response.status_code == 303 and made == 1
        # The test goes to the caller, and only to the caller.
        assert case.world.scalar("SELECT address FROM summary_deliveries WHERE customer_id = :c "
                                 "ORDER BY created_at DESC LIMIT 1", c=case.tenant.customer_id) == case.email.lower()
        return
    assert made == 0
    if case.sees(case.relation):
        case.refused(response)
    else:
        _refused_unless_seen(case, response, case.post(f"/customers/{uuid.uuid4()}/summary/test"))


def _delivery_of_own(case: Case) -> tuple[uuid.UUID, str]:
    """A delivered summary to a fresh address at the own tenant, inserted as a worker leaves it."""
    tenant, send_id, delivery_id = case.world.tenants["own"], uuid.uuid4(), uuid.uuid4()
    address = f"reader-{delivery_id.hex[:8]}@matrix.test"
    report_id = _ready_report(case, "own")
    with case.world.owner.begin() as connection:
        set_scope(connection, tenant.msp_id)
        connection.execute(text("INSERT INTO summary_sends (id, msp_id, customer_id, report_id, kind) "
                                "VALUES (:i, :m, :c, :r, 'test')"),
                           {"i": send_id, "m": tenant.msp_id, "c": tenant.customer_id, "r": report_id})
        connection.execute(text("INSERT INTO summary_deliveries (id, msp_id, customer_id, send_id, address, status) "
                                "VALUES (:i, :m, :c, :s, :a, 'sent')"),
                           {"i": delivery_id, "m": tenant.msp_id, "c": tenant.customer_id, "s": send_id, "a": address})
    return delivery_id, address


@row("GET", "/unsubscribe/{token:str}")
def _unsubscribe_page(case: Case) -> None:
    delivery_id, address = _delivery_of_own(case)
    response = case.get(unsubscribe_path(case.world.web, delivery_id), reveals="own")
    # Anyone holding the link, signed in or not, as anyone: the link is the authority. A GET changes nothing.
    assert response.status_code == 200 and address in response.text
    assert case.world.scalar("SELECT count(*) FROM summary_unsubscribes WHERE address = :a", a=address) == 0
    forged = case.get(unsubscribe_path(case.world.web, uuid.uuid4())[:-3] + "AAA")
    assert forged.status_code == 404 and address not in forged.text


@row("POST", "/unsubscribe/{token:str}")
def _unsubscribe(case: Case) -> None:
    delivery_id, address = _delivery_of_own(case)
    path = unsubscribe_path(case.world.web, delivery_id)
    response = case.client.post(path, follow_redirects=False)  # a mail client's one-click POST: no CSRF token
    case.assert_no_leak(response, reveals="own")
    assert response.status_code == 200 and "unsubscribed" in response.text
    assert case.world.scalar("SELECT count(*) FROM summary_unsubscribes WHERE address = :a", a=address) == 1
    # Another delivery's token, signed for it, cannot be bent to this address: it names only its own.
    _, other = _delivery_of_own(case)
    assert case.client.post(path[:-2] + ("AA" if not path.endswith("AA") else "BA")).status_code == 404
    assert case.world.scalar("SELECT count(*) FROM summary_unsubscribes WHERE address = :a", a=other) == 0


# -- billing: seats for MSP staff, money for MSP admins only, nothing for customers ---------------------

_SEES_SEATS = {"msp_admin", "msp_analyst", "analyst_east"}


def _closed_invoice_of(case: Case, msp_id: uuid.UUID) -> uuid.UUID:
    """A closed invoice of ``msp_id``, with a line naming its first tenant (made once, as a worker closes)."""
    found = case.world.scalar("SELECT id FROM invoices WHERE msp_id = :m", m=msp_id)
    if found is not None:
        return found  # type: ignore[return-value]
    tenant = next(t for t in case.world.tenants.values() if t.msp_id == msp_id)
    invoice_id = uuid.uuid4()
    with case.world.owner.begin() as connection:
        set_scope(connection, msp_id, actor="system:billing")
        connection.execute(text(
            "INSERT INTO invoices (id, msp_id, period_start, period_end, currency, user_days, average_users, "
            "band_rate, usage_total, addons_total, total, rate_card) VALUES (:i, :m, '2026-01-01', '2026-02-01', "
            "'USD', 31, 1, 3, 3, 0, 3, '{}')"), {"i": invoice_id, "m": msp_id})
        connection.execute(text(
            "INSERT INTO invoice_lines (invoice_id, msp_id, customer_id, customer_name, service_tier, days, "
            "user_days, usage_amount, addon_amount, amount) VALUES (:i, :m, :c, :n, 'professional', 31, 31, 3, 0, 3)"),
            {"i": invoice_id, "m": msp_id, "c": tenant.customer_id, "n": tenant.name})
    return invoice_id


def _seat_limit_of(case: Case) -> object:
    return case.world.scalar("SELECT seat_limit FROM customers WHERE id = :c", c=case.tenant.customer_id)


def _reset_terms(case: Case) -> None:
    with case.world.owner.begin() as connection:
        set_scope(connection, case.tenant.msp_id)
        connection.execute(text("UPDATE customers SET seat_limit = NULL, removed_at = NULL, suspended_at = NULL, "
                                "suspended_by = NULL WHERE id = :c"), {"c": case.tenant.customer_id})


@row("GET", "/billing/licensing")
def _licensing_page(case: Case) -> None:
    response = case.get("/billing/licensing")
    if case.role in _SEES_SEATS:
        assert response.status_code == 200 and "Customers over limit" in response.text
        _fleet_names(case, response.text)
        assert ("Set limit" in response.text) is (case.role == "msp_admin")
        assert ("/billing/invoice" in response.text) is (case.role == "msp_admin")  # no money tab for analysts
    else:
        case.refused(response)


@row("POST", "/billing/customers/{customer_id:uuid}/terms", CUSTOMERS)
def _set_terms(case: Case) -> None:
    response = case.post(f"/billing/customers/{case.tenant.customer_id}/terms", {"seat_limit": "7"})
    limit = _seat_limit_of(case)
    _reset_terms(case)
    if case.role == "msp_admin" and case.sees(case.relation):
        assert response.status_code == 303 and limit == 7
        return
    assert limit is None
    if case.role == "msp_admin":
        _refused_unless_seen(case, response, case.post(f"/billing/customers/{uuid.uuid4()}/terms", {"seat_limit": "7"}))
    else:
        case.refused(response)


@row("POST", "/billing/customers/{customer_id:uuid}/remove", CUSTOMERS)
def _remove_customer(case: Case) -> None:
    response = case.post(f"/billing/customers/{case.tenant.customer_id}/remove", {"confirm": "remove"})
    removed = case.world.scalar("SELECT removed_at IS NOT NULL FROM customers WHERE id = :c",
                                c=case.tenant.customer_id)
    _reset_terms(case)
    if case.role == "msp_admin" and case.sees(case.relation):
        assert response.status_code == 303 and removed
        return
    assert not removed
    if case.role == "msp_admin":
        _refused_unless_seen(case, response, case.post(f"/billing/customers/{uuid.uuid4()}/remove",
                                                       {"confirm": "remove"}))
    else:
        case.refused(response)


@row("GET", "/billing")
def _billing_overview(case: Case) -> None:
    response = case.get("/billing")
    if case.role == "msp_admin":
        assert response.status_code == 200 and "Service tiers" in response.text
        _fleet_names(case, response.text)
    else:
        case.refused(response)


@row("POST", "/billing/tiers")
def _save_tiers(case: Case) -> None:
    name = f"Matrix {uuid.uuid4().hex[:6]}"
    response = case.post("/billing/tiers", {"name_starter": name, "name_professional": "Pro",
                                            "name_enterprise": "Ent", "price_starter": "4.00"})
    saved = case.world.scalar("SELECT count(*) FROM service_tier_names WHERE msp_id = :m AND name = :n",
                              m=case.world.msp_a, n=name)
    if case.role == "msp_admin":
        assert response.status_code == 303 and saved == 1
    else:
        assert saved == 0
        case.refused(response)


@row("GET", "/billing/invoice")
def _invoice_page(case: Case) -> None:
    response = case.get("/billing/invoice")
    if case.role == "msp_admin":
        assert response.status_code == 200 and "Bill split" in response.text
    else:
        case.refused(response)


@row("GET", "/billing/invoice.csv")
def _invoice_csv(case: Case) -> None:
    response = case.get("/billing/invoice.csv")
    if case.role == "msp_admin":
        assert response.status_code == 200 and response.text.startswith("period_start,")
    else:
        case.refused(response)


@row("GET", "/billing/invoice.json")
def _invoice_json(case: Case) -> None:
    response = case.get("/billing/invoice.json")
    if case.role == "msp_admin":
        assert response.status_code == 200 and "total" in response.json()
    else:
        case.refused(response)


@row("GET", "/billing/invoices/{invoice_id:uuid}", ("own_msp", "other_msp"))
def _closed_invoice_page(case: Case) -> None:
    response = case.get(f"/billing/invoices/{_closed_invoice_of(case, _msp_of(case))}")
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 200 and case.world.tenants["own"].name in response.text
    elif case.role == "msp_admin":
        same_answer(response, case.get(f"/billing/invoices/{uuid.uuid4()}"))
        assert response.status_code == 404
    else:
        case.refused(response)


@row("GET", "/billing/invoices/{invoice_id:uuid}/export.csv", ("own_msp", "other_msp"))
def _closed_invoice_csv(case: Case) -> None:
    response = case.get(f"/billing/invoices/{_closed_invoice_of(case, _msp_of(case))}/export.csv")
    if case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 200 and case.world.tenants["own"].name in response.text
    elif case.role == "msp_admin":
        assert response.status_code == 404
    else:
        case.refused(response)


def _no_operator(response: httpx.Response) -> None:
    """None of the matrix's roles operates the platform: signed in, each is refused (403)."""
    assert response.status_code == 403, (response.status_code, response.text[:200])


@row("GET", "/operator")
def _operator_page(case: Case) -> None:
    response = case.get("/operator")
    _no_operator(response)
    assert case.world.msp_names[case.world.tenants["other_msp"].msp_id] not in response.text


@row("GET", "/operator/msps/{msp_id:uuid}", ("own_msp", "other_msp"))
def _operator_msp_page(case: Case) -> None:
    _no_operator(case.get(f"/operator/msps/{_msp_of(case)}"))


@row("POST", "/operator/msps/{msp_id:uuid}/rate-card", ("own_msp", "other_msp"))
def _operator_rate_card(case: Case) -> None:
    response = case.post(f"/operator/msps/{_msp_of(case)}/rate-card", {
        "currency": "EUR", "band_floor": "0", "band_rate": "0.01"})
    _no_operator(response)
    assert case.world.scalar("SELECT count(*) FROM rate_cards WHERE msp_id = :m", m=_msp_of(case)) == 0


def _api_or_401(case: Case, *, read_write: bool = False) -> dict[str, str] | None:
    """A token's headers for the ``token`` relation (None: no organisation, so no token to make)."""
    if case.relation == "token" or read_write:
        return _api_headers(case, read_write=read_write) if case.has_organisation else None
    return {}


@row("GET", "/api/v1/billing/seats", ("session", "token"))
def _seats_api(case: Case) -> None:
    headers = _api_or_401(case)
    response = case.get("/api/v1/billing/seats", headers=headers or {})
    if not case.has_organisation:
        assert response.status_code == 401
    elif case.role in _SEES_SEATS:
        assert response.status_code == 200
        names = {c["name"] for c in response.json()["customers"]}
        assert names == {case.world.tenants[r].name for r in SEES[case.role]}
    else:
        assert response.status_code == 403


@row("POST", "/api/v1/billing/customers/{customer_id:uuid}/terms", CUSTOMERS)
def _terms_api(case: Case) -> None:
    headers = _api_or_401(case, read_write=True)
    response = case.client.post(f"/api/v1/billing/customers/{case.tenant.customer_id}/terms", json={"seat_limit": 9},
                                headers=headers or {})
    case.assert_no_leak(response)
    limit = _seat_limit_of(case)
    _reset_terms(case)
    if not case.has_organisation:
        assert response.status_code == 401 and limit is None
    elif case.role == "msp_admin" and case.sees(case.relation):
        assert response.status_code == 200 and limit == 9 and response.json()["seat_limit"] == 9
    elif case.role == "msp_admin":
        assert response.status_code == 404 and limit is None
    else:
        assert response.status_code == 403 and limit is None


def _money_api(case: Case, path: str) -> httpx.Response | None:
    """The answer for a money endpoint; None when the role was refused as it must be."""
    headers = _api_or_401(case)
    response = case.get(path, headers=headers or {})
    if not case.has_organisation:
        assert response.status_code == 401
        return None
    if case.role != "msp_admin":
        assert response.status_code == 403
        assert "amount" not in response.text and "total" not in response.text
        return None
    return response


@row("GET", "/api/v1/billing/invoice", ("session", "token"))
def _invoice_api(case: Case) -> None:
    response = _money_api(case, "/api/v1/billing/invoice")
    if response is not None:
        assert response.status_code == 200
        body = response.json()
        assert {line["customer"]["name"] for line in body["lines"]} <= {t.name for t in case.world.tenants.values()
                                                                        if t.msp_id == case.world.msp_a}


@row("GET", "/api/v1/billing/invoices", ("session", "token"))
def _invoices_api(case: Case) -> None:
    own = _closed_invoice_of(case, case.world.msp_a)
    _closed_invoice_of(case, case.world.tenants["other_msp"].msp_id)
    response = _money_api(case, "/api/v1/billing/invoices")
    if response is not None:
        assert response.status_code == 200
        assert [i["id"] for i in response.json()["invoices"]] == [str(own)]


@row("GET", "/api/v1/billing/invoices/{invoice_id:uuid}", ("own_msp", "other_msp"))
def _closed_invoice_api(case: Case) -> None:
    path = f"/api/v1/billing/invoices/{_closed_invoice_of(case, _msp_of(case))}"
    response = case.get(path)
    if not case.has_organisation:
        assert response.status_code == 401
    elif case.role == "msp_admin" and case.relation == "own_msp":
        assert response.status_code == 200 and response.json()["total"] == "3.00"
    elif case.role == "msp_admin":
        assert response.status_code == 404
    else:
        assert response.status_code == 403


@row("GET", "/api/v1/billing/changes", ("session", "token"))
def _changes_api(case: Case) -> None:
    response = _money_api(case, "/api/v1/billing/changes")
    if response is not None:
        assert response.status_code == 200
        assert {c["customer"]["id"] for c in response.json()["changes"]} <= {
            str(t.customer_id) for t in case.world.tenants.values() if t.msp_id == case.world.msp_a}


@row("GET", "/api/v1/operator/msps/{msp_id:uuid}/rate-card", ("own_msp", "other_msp"))
def _rate_card_api(case: Case) -> None:
    response = case.get(f"/api/v1/operator/msps/{_msp_of(case)}/rate-card")
    _no_operator(response)


@row("POST", "/api/v1/operator/msps/{msp_id:uuid}/rate-card", ("own_msp", "other_msp"))
def _set_rate_card_api(case: Case) -> None:
    headers = _api_headers(case, read_write=True) if case.has_organisation else {}
    response = case.client.post(f"/api/v1/operator/msps/{_msp_of(case)}/rate-card", headers=headers,
                                json={"currency": "EUR", "bands": [{"from_users": 0, "rate": "0.01"}]})
    _no_operator(response)
    assert case.world.scalar("SELECT count(*) FROM rate_cards WHERE msp_id = :m", m=_msp_of(case)) == 0


@row("GET", "/api/v1/billing/tiers", ("session", "token"))
def _tiers_api(case: Case) -> None:
    headers = _api_or_401(case)
    response = case.get("/api/v1/billing/tiers", headers=headers or {})
    if not case.has_organisation:
        assert response.status_code == 401
    elif case.role in _SEES_SEATS:
        tiers = response.json()["tiers"]
        assert response.status_code == 200 and [t["key"] for t in tiers] == ["starter", "professional", "enterprise"]
        assert all(("client_price" in t) is (case.role == "msp_admin") for t in tiers)  # prices are money
    else:
        assert response.status_code == 403


@row("POST", "/api/v1/billing/tiers")
def _set_tiers_api(case: Case) -> None:
    name = f"Api {uuid.uuid4().hex[:6]}"
    headers = _api_headers(case, read_write=True) if case.has_organisation else {}
    response = case.client.post("/api/v1/billing/tiers", headers=headers, json={
        "names": {"starter": name, "professional": "Pro", "enterprise": "Ent"},
        "client_prices": {"starter": "3.50", "professional": None}})
    case.assert_no_leak(response)
    saved = case.world.scalar("SELECT count(*) FROM service_tier_names WHERE msp_id = :m AND name = :n",
                              m=case.world.msp_a, n=name)
    if not case.has_organisation:
        assert response.status_code == 401 and saved == 0
    elif case.role == "msp_admin":
        assert response.status_code == 200 and saved == 1
    else:
        assert response.status_code == 403 and saved == 0


@row("POST", "/api/v1/billing/customers/{customer_id:uuid}/remove", CUSTOMERS)
def _remove_api(case: Case) -> None:
    headers = _api_headers(case, read_write=True) if case.has_organisation else {}
    response = case.client.post(f"/api/v1/billing/customers/{case.tenant.customer_id}/remove", headers=headers)
    case.assert_no_leak(response)
    removed = case.world.scalar("SELECT removed_at IS NOT NULL FROM customers WHERE id = :c",
                                c=case.tenant.customer_id)
    _reset_terms(case)
    if not case.has_organisation:
        assert response.status_code == 401 and not removed
    elif case.role == "msp_admin" and case.sees(case.relation):
        assert response.status_code == 200 and removed
    elif case.role == "msp_admin":
        assert response.status_code == 404 and not removed
    else:
        assert response.status_code == 403 and not removed


# -- the operator's holds and notes: no MSP user, admin or not, may touch or read them -------------------

#: What an operator's act would leave on the matrix's two MSPs (other tests' MSPs share the database).
_OPERATOR_STATE = ("SELECT (SELECT count(*) FROM msps WHERE suspended_at IS NOT NULL AND id IN (:a, :b)) "
                   "+ (SELECT count(*) FROM customers WHERE operator_suspended_at IS NOT NULL AND msp_id IN (:a, :b)) "
                   "+ (SELECT count(*) FROM operator_notes WHERE msp_id IN (:a, :b)) "
                   "+ (SELECT count(*) FROM invoice_references WHERE msp_id IN (:a, :b))")


def _operator_state(case: Case) -> object:
    return case.world.scalar(_OPERATOR_STATE, a=case.world.msp_a, b=case.world.tenants["other_msp"].msp_id)


def _operator_post(case: Case, path: str, data: dict[str, str]) -> None:
    response = case.post(path, data)
    _no_operator(response)
    assert _operator_state(case) == 0


@row("POST", "/operator/msps/{msp_id:uuid}/suspension", ("own_msp", "other_msp"))
def _operator_suspend_msp(case: Case) -> None:
    _operator_post(case, f"/operator/msps/{_msp_of(case)}/suspension", {"suspended": "1"})


@row("POST", "/operator/msps/{msp_id:uuid}/note", ("own_msp", "other_msp"))
def _operator_msp_note(case: Case) -> None:
    _operator_post(case, f"/operator/msps/{_msp_of(case)}/note", {"note": "forged"})


@row("POST", "/operator/msps/{msp_id:uuid}/customers/{customer_id:uuid}/suspension", CUSTOMERS)
def _operator_hold_customer(case: Case) -> None:
    _operator_post(case, f"/operator/msps/{case.tenant.msp_id}/customers/{case.tenant.customer_id}/suspension",
                   {"suspended": "1"})


@row("POST", "/operator/msps/{msp_id:uuid}/customers/{customer_id:uuid}/note", CUSTOMERS)
def _operator_customer_note(case: Case) -> None:
    _operator_post(case, f"/operator/msps/{case.tenant.msp_id}/customers/{case.tenant.customer_id}/note",
                   {"note": "forged"})


@row("POST", "/operator/msps/{msp_id:uuid}/invoices/{invoice_id:uuid}/reference", ("own_msp", "other_msp"))
def _operator_reference(case: Case) -> None:
    invoice_id = _closed_invoice_of(case, _msp_of(case))
    _operator_post(case, f"/operator/msps/{_msp_of(case)}/invoices/{invoice_id}/reference", {"reference": "X-1"})


@row("GET", "/api/v1/operator/msps")
def _operator_msps_api(case: Case) -> None:
    response = case.get("/api/v1/operator/msps")
    _no_operator(response)
    assert case.world.msp_names[case.world.tenants["other_msp"].msp_id] not in response.text


@row("GET", "/api/v1/operator/msps/{msp_id:uuid}", ("own_msp", "other_msp"))
def _operator_msp_api(case: Case) -> None:
    _no_operator(case.get(f"/api/v1/operator/msps/{_msp_of(case)}"))


def _operator_api_post(case: Case, path: str, body: dict[str, object]) -> None:
    headers = _api_headers(case, read_write=True) if case.has_organisation else {}
    response = case.client.post(path, headers=headers, json=body)
    case.assert_no_leak(response)
    _no_operator(response)
    assert _operator_state(case) == 0


@row("POST", "/api/v1/operator/msps/{msp_id:uuid}/suspension", ("own_msp", "other_msp"))
def _operator_suspend_api(case: Case) -> None:
    _operator_api_post(case, f"/api/v1/operator/msps/{_msp_of(case)}/suspension", {"suspended": True})


@row("POST", "/api/v1/operator/msps/{msp_id:uuid}/customers/{customer_id:uuid}/suspension", CUSTOMERS)
def _operator_hold_api(case: Case) -> None:
    _operator_api_post(case, f"/api/v1/operator/msps/{case.tenant.msp_id}/customers/{case.tenant.customer_id}"
                             "/suspension", {"suspended": True})


@row("POST", "/api/v1/operator/msps/{msp_id:uuid}/notes", ("own_msp", "other_msp"))
def _operator_note_api(case: Case) -> None:
    _operator_api_post(case, f"/api/v1/operator/msps/{_msp_of(case)}/notes", {"note": "forged"})


@row("POST", "/api/v1/operator/msps/{msp_id:uuid}/invoices/{invoice_id:uuid}/reference", ("own_msp", "other_msp"))
def _operator_reference_api(case: Case) -> None:
    invoice_id = _closed_invoice_of(case, _msp_of(case))
    _operator_api_post(case, f"/api/v1/operator/msps/{_msp_of(case)}/invoices/{invoice_id}/reference",
                       {"reference": "X-1"})


# -- shared tenants: MSP admins split a tenant they see; nobody else, nothing foreign ------------------------

def _directory_of(case: Case) -> str:
    """Give the relation's tenant a directory (as a scan keeps it); returns its one domain."""
    domain = f"{case.relation}.matrix.example"
    with case.world.owner.begin() as connection:
        set_scope(connection, case.tenant.msp_id)
        connection.execute(text(
            "INSERT INTO tenant_directories (customer_id, msp_id, domains, groups, scan_id, refreshed_at) "
            "VALUES (:c, :m, CAST(:d AS jsonb), '[]', :s, now()) ON CONFLICT (customer_id) DO NOTHING"),
            {"c": case.tenant.customer_id, "m": case.tenant.msp_id, "s": case.world.scans[case.relation],
             "d": f'[{{"name": "{domain}", "default": false, "initial": false}}]'})
    return domain


def _selected(case: Case) -> uuid.UUID:
    """A billing customer of the relation's tenant holding its domain, made as an admin would; its selection."""
    domain = _directory_of(case)
    billing_id, selection_id = uuid.uuid4(), uuid.uuid4()
    with case.world.owner.begin() as connection:
        set_scope(connection, case.tenant.msp_id)
        connection.execute(text("INSERT INTO customers (id, customer_id, msp_id, name, billing_host_id) "
                                "VALUES (:b, :b, :m, 'Matrix billing', :c)"),
                           {"b": billing_id, "m": case.tenant.msp_id, "c": case.tenant.customer_id})
        connection.execute(text(
            "INSERT INTO tenant_selections (id, msp_id, customer_id, billing_customer_id, kind, value, label) "
            "VALUES (:i, :m, :c, :b, 'domain', :d, :d)"),
            {"i": selection_id, "m": case.tenant.msp_id, "c": case.tenant.customer_id, "b": billing_id, "d": domain})
    return selection_id


def _undo_split(case: Case) -> None:
    with case.world.owner.begin() as connection:
        set_scope(connection, case.tenant.msp_id)
        connection.execute(text("DELETE FROM tenant_selections WHERE customer_id = :c"), {"c": case.tenant.customer_id})
        connection.execute(text("DELETE FROM customers WHERE billing_host_id = :c"), {"c": case.tenant.customer_id})


def _selections_of(case: Case) -> object:
    return case.world.scalar("SELECT count(*) FROM tenant_selections WHERE customer_id = :c",
                             c=case.tenant.customer_id)


def _splits(case: Case) -> bool:
    return case.role == "msp_admin" and case.sees(case.relation)


@row("GET", "/customers/{customer_id:uuid}/tenant", CUSTOMERS)
def _tenant_page(case: Case) -> None:
    domain = _directory_of(case)
    response = case.get(f"/customers/{case.tenant.customer_id}/tenant")
    if _splits(case):
        assert response.status_code == 200 and domain in response.text
    elif case.role == "msp_admin":
        _refused_unless_seen(case, response, case.get(f"/customers/{uuid.uuid4()}/tenant"))
        assert domain not in response.text
    else:
        case.refused(response)


@row("POST", "/customers/{customer_id:uuid}/tenant/review", CUSTOMERS)
def _tenant_review(case: Case) -> None:
    domain = _directory_of(case)
    form = {"pick": f"domain:{domain}", "billing_customer": "new", "new_name": "Matrix Co"}
    response = case.post(f"/customers/{case.tenant.customer_id}/tenant/review", form)
    if _splits(case):
        assert response.status_code == 200 and "Matrix Co" in response.text and _selections_of(case) == 0
    elif case.role == "msp_admin":
        _refused_unless_seen(case, response, case.post(f"/customers/{uuid.uuid4()}/tenant/review", form))
    else:
        case.refused(response)


@row("POST", "/customers/{customer_id:uuid}/tenant/selections", CUSTOMERS)
def _tenant_submit(case: Case) -> None:
    domain = _directory_of(case)
    form = {"pick": f"domain:{domain}", "billing_customer": "new", "new_name": "Matrix Co"}
    response = case.post(f"/customers/{case.tenant.customer_id}/tenant/selections", form)
    made = _selections_of(case)
    _undo_split(case)
    if _splits(case):
        assert response.status_code == 303 and made == 1
        return
    assert made == 0
    if case.role == "msp_admin":
        _refused_unless_seen(case, response, case.post(f"/customers/{uuid.uuid4()}/tenant/selections", form))
    else:
        case.refused(response)


@row("POST", "/customers/{customer_id:uuid}/tenant/selections/{selection_id:uuid}/remove", CUSTOMERS)
def _tenant_give_back(case: Case) -> None:
    selection_id = _selected(case)
    response = case.post(f"/customers/{case.tenant.customer_id}/tenant/selections/{selection_id}/remove")
    left = _selections_of(case)
    _undo_split(case)
    if _splits(case):
        assert response.status_code == 303 and left == 0
        return
    assert left == 1
    if case.role == "msp_admin":
        _refused_unless_seen(case, response, case.post(
            f"/customers/{uuid.uuid4()}/tenant/selections/{uuid.uuid4()}/remove"))
    else:
        case.refused(response)


def _api_answer(case: Case, response: httpx.Response) -> bool:
    """Checks the refusals of a shared-tenant API call; True when the call was the admin's to make."""
    case.assert_no_leak(response)
    if not case.has_organisation:
        assert response.status_code == 401
    elif case.role != "msp_admin":
        assert response.status_code == 403
    elif not case.sees(case.relation):
        assert response.status_code == 404
    else:
        return True
    return False


@row("GET", "/api/v1/customers/{customer_id:uuid}/tenant", CUSTOMERS)
def _tenant_api(case: Case) -> None:
    domain = _directory_of(case)
    headers = _api_headers(case) if case.has_organisation else {}
    response = case.client.get(f"/api/v1/customers/{case.tenant.customer_id}/tenant", headers=headers)
    if _api_answer(case, response):
        assert response.status_code == 200 and [e["value"] for e in response.json()["entries"]] == [domain]


@row("POST", "/api/v1/customers/{customer_id:uuid}/tenant/selections", CUSTOMERS)
def _tenant_api_assign(case: Case) -> None:
    domain = _directory_of(case)
    headers = _api_headers(case, read_write=True) if case.has_organisation else {}
    response = case.client.post(f"/api/v1/customers/{case.tenant.customer_id}/tenant/selections", headers=headers,
                                json={"selections": [f"domain:{domain}"], "new_billing_customer": "Matrix Co"})
    made = _selections_of(case)
    _undo_split(case)
    if _api_answer(case, response):
        assert response.status_code == 200 and made == 1
    else:
        assert made == 0


@row("DELETE", "/api/v1/customers/{customer_id:uuid}/tenant/selections/{selection_id:uuid}", CUSTOMERS)
def _tenant_api_give_back(case: Case) -> None:
    selection_id = _selected(case)
    headers = _api_headers(case, read_write=True) if case.has_organisation else {}
    response = case.client.delete(f"/api/v1/customers/{case.tenant.customer_id}/tenant/selections/{selection_id}",
                                  headers=headers)
    left = _selections_of(case)
    _undo_split(case)
    if _api_answer(case, response):
        assert response.status_code == 204 and left == 0
    else:
        assert left == 1


# -- the assistant's tools (MCP): a row per tool, tried with each role's own API token -----------------

TOOL_ROWS: dict[str, tuple[tuple[str | None, ...], Check]] = {}
_MCP_HEADERS = {"accept": "application/json, text/event-stream"}


def tool_row(name: str, relations: tuple[str | None, ...] = _SELF) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        TOOL_ROWS[name] = (relations, check)
        return check
    return register


@dataclass(frozen=True)
class ToolAnswer:
    error: str | None  # the refusal a model reads, or None
    data: dict[str, object]


def _call_tool(case: Case, name: str, arguments: dict[str, object], *, read_write: bool = False) -> ToolAnswer | None:
    """``name`` called through ``/mcp`` with a token the role's user makes; None for a user with no
    organisation (no membership, so no token: the endpoint's row shows what they get)."""
    if not case.has_organisation:
        return None
    _, token = token_for(case.world.web, case.user_id, case.email, case.world.memberships[case.role][0],
                         read_write=read_write)
    response = case.client.post("/mcp", headers={**_MCP_HEADERS, "authorization": f"Bearer {token}"}, json={
        "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}})
    case.assert_no_leak(response)
    assert response.status_code == 200, response.text[:300]
    result = response.json()["result"]
    if result.get("isError"):
        return ToolAnswer(" ".join(c.get("text", "") for c in result["content"]), {})
    return ToolAnswer(None, result["structuredContent"])


@row("ASGI", "/mcp")
def _assistant_endpoint(case: Case) -> None:
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    session_only = case.client.post("/mcp", headers=_MCP_HEADERS, json=listing)  # the signed-in browser's cookie
    assert session_only.status_code == 401 and "tools" not in session_only.text
    if case.has_organisation:
        _, token = token_for(case.world.web, case.user_id, case.email, case.world.memberships[case.role][0])
        listed = case.client.post("/mcp", headers={**_MCP_HEADERS, "authorization": f"Bearer {token}"}, json=listing)
        assert listed.status_code == 200 and {t["name"] for t in listed.json()["result"]["tools"]} == set(TOOL_ROWS)


def _names(case: Case, data: object) -> set[str]:
    """The matrix's tenants named anywhere in an answer."""
    body = json.dumps(data)
    return {relation for relation, tenant in case.world.tenants.items() if tenant.name in body}


def _seen_by_the_token(case: Case, name: str, arguments: dict[str, object], *, names_it: bool = True) -> None:
    """Answered where the role sees the tenant; elsewhere the answer for a customer that does not exist."""
    got = _call_tool(case, name, {"customer_id": str(case.tenant.customer_id), **arguments})
    if got is None:
        return
    if case.sees(case.relation):
        assert got.error is None, got.error
        assert not names_it or _names(case, got.data) == {case.relation}
        return
    missing = _call_tool(case, name, {"customer_id": str(uuid.uuid4()), **arguments})
    assert missing is not None and got.error is not None and got.error == missing.error


@tool_row("fleet_summary")
def _tool_fleet_summary(case: Case) -> None:
    got = _call_tool(case, "fleet_summary", {"top": 25})
    if got is not None:
        assert got.error is None and _names(case, got.data) == SEES[case.role]


@tool_row("find_customers")
def _tool_find_customers(case: Case) -> None:
    got = _call_tool(case, "find_customers", {"name": "Tenant "})
    if got is not None:
        assert got.error is None and _names(case, got.data) == SEES[case.role]


@tool_row("search_findings")
def _tool_search(case: Case) -> None:
    got = _call_tool(case, "search_findings", {"query": f"check:{case.world.check_id} status:fail"})
    if got is not None:
        assert got.error is None and _names(case, got.data) == SEES[case.role]  # failing in every tenant


@tool_row("customer_posture", CUSTOMERS)
def _tool_posture(case: Case) -> None:
    _seen_by_the_token(case, "customer_posture", {})


@tool_row("finding_detail", CUSTOMERS)
def _tool_finding(case: Case) -> None:
    _seen_by_the_token(case, "finding_detail", {"check_id": case.world.check_id})


@tool_row("drift_since", CUSTOMERS)
def _tool_drift(case: Case) -> None:
    _seen_by_the_token(case, "drift_since", {"since": "2000-01-01"})


@tool_row("latest_report", CUSTOMERS)
def _tool_report(case: Case) -> None:
    _seen_by_the_token(case, "latest_report", {})


@tool_row("accepted_risks", CUSTOMERS)
def _tool_accepted(case: Case) -> None:
    _seed_acceptance(case)
    try:
        _seen_by_the_token(case, "accepted_risks", {})
        fleet_wide = _call_tool(case, "accepted_risks", {})
        if fleet_wide is not None:
            assert fleet_wide.error is None
            assert _names(case, fleet_wide.data) == ({case.relation} if case.sees(case.relation) else set())
    finally:
        _clear_acceptances(case)


@tool_row("start_scan", CUSTOMERS)
def _tool_start_scan(case: Case) -> None:
    count = "SELECT count(*) FROM scans WHERE customer_id = :c AND trigger = 'manual'"
    before = case.world.scalar(count, c=case.tenant.customer_id)
    got = _call_tool(case, "start_scan", {"customer_id": str(case.tenant.customer_id)}, read_write=True)
    made = case.world.scalar(count, c=case.tenant.customer_id) - before  # type: ignore[operator]
    with case.world.owner.begin() as connection:  # let the next case start one too
        set_scope(connection, case.tenant.msp_id)
        connection.execute(text("UPDATE scans SET status = 'completed', queued_at = now() - interval '1 day' "
                                "WHERE customer_id = :c AND status = 'queued'"), {"c": case.tenant.customer_id})
    if got is None:
        assert made == 0
        return
    if case.relation in STARTS_SCANS.get(case.role, set()):
        assert got.error is None and made == 1
        return
    assert made == 0 and got.error is not None


@tool_row("accept_risk", CUSTOMERS)
def _tool_accept_risk(case: Case) -> None:
    got = _call_tool(case, "accept_risk", {
        "customer_id": str(case.tenant.customer_id), "check_id": case.world.check_id, "reason": "matrix",
        "expires_on": (dt.date.today() + dt.timedelta(days=30)).isoformat()}, read_write=True)
    standing = case.world.scalar(_STANDING, c=case.tenant.customer_id, k=case.world.check_id)
    _clear_acceptances(case)
    if got is not None and case.relation in ACCEPTS_RISKS.get(case.role, set()):
        assert got.error is None and standing == 1
        return
    assert standing == 0 and (got is None or got.error is not None)


@tool_row("reverify_search")
def _tool_reverify(case: Case) -> None:
    count = ("SELECT count(*) FROM scans WHERE trigger = 'reverify' AND status = 'queued' "
             "AND customer_id = ANY (:c)")
    ids = [t.customer_id for t in case.world.tenants.values()]
    got = _call_tool(case, "reverify_search", {"query": f"check:{case.world.check_id}"}, read_write=True)
    made = case.world.scalar(count, c=ids)
    for tenant in case.world.tenants.values():
        with case.world.owner.begin() as connection:
            set_scope(connection, tenant.msp_id)
            connection.execute(text("UPDATE scans SET status = 'completed' WHERE customer_id = :c "
                                    "AND trigger = 'reverify' AND status = 'queued'"), {"c": tenant.customer_id})
    if got is None:
        assert made == 0
        return
    scannable = STARTS_SCANS.get(case.role, set())
    if scannable:
        assert got.error is None and made == len(scannable) == got.data["tenants"]
        return
    assert made == 0 and got.error is not None  # customer roles: MSP staff only


# -- the test (last: every row above is registered by now) ----------------------------------------


def test_every_route_has_a_row(app: Litestar) -> None:
    assert app_routes(app) == set(ROWS)


def test_every_assistant_tool_has_a_row() -> None:
    assert set(TOOL_ROWS) == set(READ_TOOLS) | set(WRITE_TOOLS)


CASES = [(method, path, role, relation) for (method, path), (relations, _) in sorted(ROWS.items())
         for role in ROLES for relation in relations]


@pytest.mark.parametrize(("method", "path", "role", "relation"), CASES,
                         ids=[f"{m} {p} as {r}" + (f" on {rel}" if rel else "") for m, p, r, rel in CASES])
def test_the_matrix(method: str, path: str, role: str, relation: str | None, app: Litestar, world: World) -> None:
    user_id, email = world.people[role]
    with TestClient(app) as client:
        case = Case(world, client, role, relation, user_id, email)
        case.sign_in_as(user_id, email)
        ROWS[(method, path)][1](case)


TOOL_CASES = [(name, role, relation) for name, (relations, _) in sorted(TOOL_ROWS.items())
              for role in ROLES for relation in relations]


@pytest.mark.parametrize(("tool", "role", "relation"), TOOL_CASES,
                         ids=[f"tool {t} as {r}" + (f" on {rel}" if rel else "") for t, r, rel in TOOL_CASES])
def test_the_tools_matrix(tool: str, role: str, relation: str | None, app: Litestar, world: World) -> None:
    user_id, email = world.people[role]
    with TestClient(app) as client:
        case = Case(world, client, role, relation, user_id, email)
        case.sign_in_as(user_id, email)
        TOOL_ROWS[tool][1](case)
