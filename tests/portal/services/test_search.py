"""Cross-tenant search on real PostgreSQL: the syntax, every filter, scoping by role, accepted risks,
paging, and saved searches under row-level security.

The fleet: MSP A has Alpha (tags gold, east), Bravo (silver) and Charlie (gold), MSP B has Delta.
SMTP AUTH is on at Alpha, Bravo and Delta, off at Charlie; the expected answers below are written from
that layout, not read back from the search.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.errors import Conflict, NotFound
from portal.services.scans import record_scan
from portal.services.search import (
    Field,
    SearchSyntaxError,
    delete_saved_search,
    matching_check_ids,
    parse,
    save_search,
    saved_searches,
    search,
    search_rows,
)
from scanner import CheckResult, ScanResult, ScanStats, Status, TenantInfo, get_check
from tests.portal.services.support import Seeded, add_member, insert_scan, make_customer, make_msp
from tests.support.database import set_scope

SMTP_ORG = "exo.smtp_auth.org_disabled"
SMTP_MAILBOXES = "exo.smtp_auth.mailboxes_disabled"
LEGACY = "entra.ca.block_legacy_auth"
NOW = dt.datetime.now(dt.UTC)


def _result(verdicts: dict[str, tuple[Status, dict[str, object], list[str]]], started_at: dt.datetime) -> ScanResult:
    checks = tuple(CheckResult(get_check(check_id).meta, status, None, evidence, affected)
                   for check_id, (status, evidence, affected) in verdicts.items())
    return ScanResult(tenant=TenantInfo(id="t", name="T", default_domain="t.onmicrosoft.com"), status="completed",
                      score=50.0, grade="D", coverage=1.0, checks=checks, stats=ScanStats(requests=3, duration_s=1.0),
                      started_at=started_at, finished_at=started_at + dt.timedelta(seconds=1))


def _smtp(on: bool, mailboxes: list[str]) -> dict[str, tuple[Status, dict[str, object], list[str]]]:
    return {
        SMTP_ORG: (Status.FAIL if on else Status.PASS, {"SmtpClientAuthenticationDisabled": not on}, []),
        SMTP_MAILBOXES: (Status.FAIL if mailboxes else Status.PASS,
                         {"organisation_SmtpClientAuthenticationDisabled": not on, "mailboxes_read": 4}, mailboxes),
        LEGACY: (Status.PASS, {"policies": {"enforced": 1}}, []),
    }


@dataclass(frozen=True)
class World:
    msp_a: uuid.UUID
    msp_b: uuid.UUID
    customers: dict[str, Seeded]
    people: dict[str, uuid.UUID]

    def scope(self, who: str) -> Scope:
        """The scope each person's session signs (what visible_customers gives them)."""
        user = self.people[who]
        c = self.customers
        scopes = {
            "admin": Scope(self.msp_a, None, f"{who}@a.test", user),
            "analyst_gold": Scope(self.msp_a, frozenset({c["Alpha"].customer_id, c["Charlie"].customer_id}),
                                  f"{who}@a.test", user),
            "alpha_admin": Scope(self.msp_a, frozenset({c["Alpha"].customer_id}), f"{who}@a.test", user),
            "alpha_viewer": Scope(self.msp_a, frozenset({c["Alpha"].customer_id}), f"{who}@a.test", user),
            "admin_b": Scope(self.msp_b, None, f"{who}@b.test", user),
        }
        return scopes[who]


@pytest.fixture(scope="module")
def world(owner_engine: Engine, app_engine: Engine) -> World:
    msp_a, msp_b = make_msp(owner_engine), make_msp(owner_engine)
    layout = {"Alpha": (msp_a, ["gold", "east"], True, ["Printer@Contoso.com", "scanner@contoso.com"], "enterprise"),
              "Bravo": (msp_a, ["silver"], True, ["app@fabrikam.com"], "professional"),
              "Charlie": (msp_a, ["gold"], False, [], "enterprise"),
              "Delta": (msp_b, ["gold"], True, ["printer@contoso.com"], "professional")}
    customers = {}
    for name, (msp_id, tags, smtp_on, mailboxes, tier) in layout.items():
        seeded = make_customer(owner_engine, msp_id, name=f"{name} {uuid.uuid4().hex[:6]}")
        with owner_engine.begin() as connection:
            set_scope(connection, msp_id)
            connection.execute(text("UPDATE customers SET tags = :t, service_tier = :s WHERE id = :c"),
                               {"t": tags, "s": tier, "c": seeded.customer_id})
        scan_id = insert_scan(owner_engine, seeded, status="running")
        with unit_of_work(app_engine, Scope.for_customer(msp_id, seeded.customer_id)) as uow:
            record_scan(uow, scan_id, _result(_smtp(smtp_on, mailboxes), NOW - dt.timedelta(days=2)))
        customers[name] = seeded
    members = {
        "admin": add_member(owner_engine, msp_a, Role.MSP_ADMIN),
        "analyst_gold": add_member(owner_engine, msp_a, Role.MSP_ANALYST, tags=("gold",)),
        "alpha_admin": add_member(owner_engine, msp_a, Role.CUSTOMER_ADMIN, customers["Alpha"].customer_id),
        "alpha_viewer": add_member(owner_engine, msp_a, Role.CUSTOMER_VIEWER, customers["Alpha"].customer_id),
        "admin_b": add_member(owner_engine, msp_b, Role.MSP_ADMIN),
    }
    people = {who: scope.user_id for who, (scope, _) in members.items()}
    return World(msp_a, msp_b, customers, people)


@pytest.fixture
def ask(world: World, web_engine: Engine) -> Iterator[object]:
    def answer(query: str, who: str = "admin", **kwargs: object) -> dict[str, set[str]]:
        """Customer short name -> the check ids of its matching findings."""
        with unit_of_work(web_engine, world.scope(who)) as uow:
            page = search(uow, query, now=dt.datetime.now(dt.UTC), **kwargs)  # type: ignore[arg-type]
        return {c.name.split()[0]: {h.check_id for h in c.hits} for c in page.customers}
    yield answer


# -- the syntax ---------------------------------------------------------------------------------------


def test_terms_are_read_with_values_negation_quotes_and_json_evidence() -> None:
    terms = parse('smtp "turned off" status:fail,ERROR -tag:gold evidence.a.b=false evidence.n!=3 '
                  'evidence.s="true" age>7d customer:"Contoso Ltd"')
    assert [(t.field, t.values, t.negated) for t in terms[:4]] == [
        (Field.TEXT, ("smtp",), False), (Field.TEXT, ("turned off",), False),
        (Field.STATUS, ("fail", "error"), False), (Field.TAG, ("gold",), True)]
    assert (terms[4].path, terms[4].value, terms[4].negated) == (("a", "b"), False, False)
    assert terms[4].evidence_object() == {"a": {"b": False}}
    assert (terms[5].value, terms[5].negated) == (3, True)
    assert terms[6].value == "true"  # quoted: text, not JSON true
    assert (terms[7].older, terms[7].age) == (True, dt.timedelta(days=7))
    assert terms[8].values == ("Contoso Ltd",)


@pytest.mark.parametrize(("query", "says"), [
    ("colour:red", "unknown filter 'colour:'"),
    ("status:broken", "status cannot be 'broken'"),
    ("severity:urgent", "severity cannot be 'urgent'"),
    ("state:gone", "state cannot be 'gone'"),
    ('check:"open', "not closed"),
    ("age>7y", "not an age"),
    ("tag:", "has no value"),
    ("evidence.x=", "compares with nothing"),
    ("x" * 1001, "longer than 1000"),
])
def test_a_query_that_does_not_read_says_why(query: str, says: str) -> None:
    with pytest.raises(SearchSyntaxError, match=says):
        parse(query)


def test_check_terms_resolve_against_the_catalogue() -> None:
    smtp = {SMTP_ORG, SMTP_MAILBOXES}
    assert matching_check_ids(parse("ref:MS.EXO.5.1v1")) == smtp
    assert matching_check_ids(parse("ref:ms.exo.5.1")) == smtp  # any version, any case
    assert SMTP_ORG in matching_check_ids(parse("ref:6.5.4"))  # type: ignore[operator]  # a CIS number
    assert matching_check_ids(parse("check:exo.smtp_auth.*")) == smtp
    assert matching_check_ids(parse("smtp auth")) == smtp  # title words
    assert matching_check_ids(parse("smtp auth -check:exo.smtp_auth.org_disabled")) == {SMTP_MAILBOXES}
    assert matching_check_ids(parse("ref:MS.NOPE.1.1v1")) == frozenset()
    assert matching_check_ids(parse("status:fail")) is None  # nothing about the check


# -- answers -------------------------------------------------------------------------------------------


def test_evidence_field_finds_exactly_the_customers_with_that_value(ask) -> None:  # type: ignore[no-untyped-def]
    assert ask("evidence.SmtpClientAuthenticationDisabled=false") == {"Alpha": {SMTP_ORG}, "Bravo": {SMTP_ORG}}
    assert ask("evidence.SmtpClientAuthenticationDisabled=true") == {"Charlie": {SMTP_ORG}}
    assert ask("evidence.SmtpClientAuthenticationDisabled!=false") == {"Charlie": {SMTP_ORG}}
    assert ask("evidence.SmtpClientAuthenticationDisabled=\"false\"") == {}  # text is not the JSON false
    assert ask("evidence.policies.enforced=1") == {"Alpha": {LEGACY}, "Bravo": {LEGACY}, "Charlie": {LEGACY}}


def test_reference_status_tag_tier_and_customer_filters_combine_as_and(ask) -> None:  # type: ignore[no-untyped-def]
    smtp = {SMTP_ORG, SMTP_MAILBOXES}
    assert ask("ref:MS.EXO.5.1v1 status:fail") == {"Alpha": smtp, "Bravo": smtp}
    assert ask("ref:MS.EXO.5.1v1 status:fail tag:gold") == {"Alpha": smtp}
    assert ask("ref:MS.EXO.5.1v1 status:fail -tag:gold") == {"Bravo": smtp}
    assert ask("ref:MS.EXO.5.1v1 tier:enterprise status:pass") == {"Charlie": smtp}
    assert ask("smtp status:fail customer:bra") == {"Bravo": smtp}
    assert ask("severity:high smtp") == {"Alpha": {SMTP_ORG}, "Bravo": {SMTP_ORG}, "Charlie": {SMTP_ORG}}
    assert ask("state:disconnected") == {}
    assert ask("access:operate check:exo.smtp_auth.org_disabled status:fail") == {"Alpha": {SMTP_ORG},
                                                                                 "Bravo": {SMTP_ORG}}


def test_affected_objects_match_without_case_exactly_or_by_wildcard(ask) -> None:  # type: ignore[no-untyped-def]
    assert ask("affected:printer@contoso.com") == {"Alpha": {SMTP_MAILBOXES}}  # not MSP B's Delta
    assert ask("affected:PRINTER@CONTOSO.COM") == {"Alpha": {SMTP_MAILBOXES}}
    assert ask("affected:*@fabrikam.com") == {"Bravo": {SMTP_MAILBOXES}}
    assert ask("affected:*contoso*,app@fabrikam.com") == {"Alpha": {SMTP_MAILBOXES}, "Bravo": {SMTP_MAILBOXES}}
    assert ask("affected:printer%") == {}  # % is a character, not a pattern


def test_data_age(ask) -> None:  # type: ignore[no-untyped-def]
    assert set(ask("check:exo.smtp_auth.org_disabled age>1d")) == {"Alpha", "Bravo", "Charlie"}
    assert ask("check:exo.smtp_auth.org_disabled age<1d") == {}


def test_each_role_sees_only_its_customers(ask) -> None:  # type: ignore[no-untyped-def]
    query = "check:exo.smtp_auth.org_disabled"
    assert set(ask(query, "admin")) == {"Alpha", "Bravo", "Charlie"}
    assert set(ask(query, "analyst_gold")) == {"Alpha", "Charlie"}
    assert set(ask(query, "alpha_viewer")) == {"Alpha"}
    assert set(ask(query, "admin_b")) == {"Delta"}


def test_results_are_paged_by_customer_with_totals_over_all_pages(world: World, web_engine: Engine) -> None:
    with unit_of_work(web_engine, world.scope("admin")) as uow:
        first = search(uow, "smtp", now=dt.datetime.now(dt.UTC), page_size=2)
        second = search(uow, "smtp", now=dt.datetime.now(dt.UTC), page=2, page_size=2)
    assert (first.total_customers, first.pages, first.total_findings) == (3, 2, 6)
    assert [c.name.split()[0] for c in first.customers + second.customers] == ["Alpha", "Bravo", "Charlie"]
    assert first.by_status == {"fail": 4, "pass": 2}
    assert first.check_ids == (SMTP_MAILBOXES, SMTP_ORG)
    alpha = first.customers[0]
    assert [h.status for h in alpha.hits] == ["fail", "fail"]  # failing first, then by severity
    assert [h.severity for h in alpha.hits] == ["high", "medium"]
    mailboxes = alpha.hits[1]
    assert (mailboxes.affected, mailboxes.affected_count) == (("Printer@Contoso.com", "scanner@contoso.com"), 2)
    assert "MS.EXO.5.1v1" in mailboxes.references


def test_export_rows_hold_every_match(world: World, web_engine: Engine) -> None:
    with unit_of_work(web_engine, world.scope("admin")) as uow:
        rows = search_rows(uow, "smtp status:fail", now=dt.datetime.now(dt.UTC), limit=1000)
    assert [c.name.split()[0] for c in rows] == ["Alpha", "Bravo"]
    assert sum(len(c.hits) for c in rows) == 4


# -- accepted risks in the answer ----------------------------------------------------------------------


def _accept(web: Engine, scope: Scope, customer_id: uuid.UUID, check_id: str, *, days: int = 30) -> uuid.UUID:
    with unit_of_work(web, scope) as uow:
        return uow.session.execute(text("SELECT posture_accept_risk(:c, :k, 'printer needs it', :e)"), {
            "c": customer_id, "k": check_id, "e": dt.datetime.now(dt.UTC) + dt.timedelta(days=days)}).scalar_one()


def test_an_accepted_failure_is_accepted_not_fail_until_it_expires(world: World, web_engine: Engine,
                                                                   owner_engine: Engine, ask) -> None:  # type: ignore[no-untyped-def]
    bravo = world.customers["Bravo"].customer_id
    acceptance = _accept(web_engine, world.scope("admin"), bravo, SMTP_MAILBOXES)
    try:
        assert ask("smtp status:accepted") == {"Bravo": {SMTP_MAILBOXES}}
        assert ask("smtp status:fail") == {"Alpha": {SMTP_ORG, SMTP_MAILBOXES}, "Bravo": {SMTP_ORG}}
        with owner_engine.begin() as connection:  # the acceptance runs out
            set_scope(connection, world.msp_a)
            connection.execute(text("UPDATE risk_acceptances SET expires_at = now() - interval '1 second' "
                                    "WHERE id = :i"), {"i": acceptance})
        assert ask("smtp status:accepted") == {}
        assert ask("smtp status:fail")["Bravo"] == {SMTP_ORG, SMTP_MAILBOXES}
    finally:
        with owner_engine.begin() as connection:
            set_scope(connection, world.msp_a)
            connection.execute(text("UPDATE risk_acceptances SET revoked_at = now() WHERE id = :i"), {"i": acceptance})


@pytest.mark.parametrize("who", ["alpha_viewer", "admin_b"])
def test_accepting_a_risk_is_refused_to_who_may_not_whatever_query_they_run(world: World, web_engine: Engine,
                                                                             who: str) -> None:
    # A viewer's session can run any SQL it likes (an injection) and still cannot accept: the
    # definer function asks who the signed scope's user is.
    with pytest.raises(DBAPIError, match="not yours to accept"):
        _accept(web_engine, world.scope(who), world.customers["Alpha"].customer_id, SMTP_ORG)
    with unit_of_work(web_engine, world.scope(who)) as uow, pytest.raises(DBAPIError, match="permission denied"):
        uow.session.execute(text("INSERT INTO risk_acceptances (msp_id, customer_id, check_id, reason, expires_at, "
                                 "accepted_by) VALUES (:m, :c, 'x', 'because', now() + interval '1 day', 'me')"),
                            {"m": world.msp_a, "c": world.customers["Alpha"].customer_id})


def test_acceptance_needs_an_expiry_within_a_year_and_records_the_scope_actor(world: World, web_engine: Engine,
                                                                              owner_engine: Engine) -> None:
    alpha = world.customers["Alpha"].customer_id
    with pytest.raises(DBAPIError, match="within a year"):
        _accept(web_engine, world.scope("alpha_admin"), alpha, SMTP_ORG, days=400)
    first = _accept(web_engine, world.scope("alpha_admin"), alpha, SMTP_ORG)
    second = _accept(web_engine, world.scope("admin"), alpha, SMTP_ORG)  # replaces the first
    with owner_engine.begin() as connection:
        set_scope(connection, world.msp_a)
        rows = {r.id: (r.accepted_by, r.revoked) for r in connection.execute(text(
            "SELECT id, accepted_by, revoked_by IS NOT NULL AS revoked FROM risk_acceptances WHERE id IN (:a, :b)"),
            {"a": first, "b": second})}
        connection.execute(text("UPDATE risk_acceptances SET revoked_at = now() WHERE id = :i"), {"i": second})
    assert rows[first] == ("alpha_admin@a.test", True)
    assert rows[second] == ("admin@a.test", False)


# -- saved searches ------------------------------------------------------------------------------------


def test_saved_searches_are_their_owners_and_shared_ones_are_the_msp_staffs(world: World, web_engine: Engine) -> None:
    with unit_of_work(web_engine, world.scope("admin")) as uow:
        mine = save_search(uow, msp_id=world.msp_a, user_id=world.people["admin"], name="  SMTP   on ",
                           query="evidence.SmtpClientAuthenticationDisabled=false", shared=False)
        shared = save_search(uow, msp_id=world.msp_a, user_id=world.people["admin"], name="Gold failing",
                             query="tag:gold status:fail", shared=True)
        with pytest.raises(Conflict):
            save_search(uow, msp_id=world.msp_a, user_id=world.people["admin"], name="SMTP on", query="smtp",
                        shared=False)
        with pytest.raises(SearchSyntaxError):
            save_search(uow, msp_id=world.msp_a, user_id=world.people["admin"], name="Bad", query="colour:red",
                        shared=False)
    with unit_of_work(web_engine, world.scope("analyst_gold")) as uow:
        seen = saved_searches(uow, world.people["analyst_gold"])
        assert [(s.id, s.name, s.mine) for s in seen if s.id in (mine, shared)] == [(shared, "Gold failing", False)]
        with pytest.raises(NotFound):
            delete_saved_search(uow, shared)  # shared is not theirs to delete
    for who in ("alpha_admin", "admin_b"):
        with unit_of_work(web_engine, world.scope(who)) as uow:
            assert uow.session.execute(text("SELECT count(*) FROM saved_searches")).scalar_one() == 0
    with unit_of_work(web_engine, world.scope("admin")) as uow:
        assert {s.name for s in saved_searches(uow, world.people["admin"])} >= {"SMTP on", "Gold failing"}
        delete_saved_search(uow, mine)
        assert mine not in {s.id for s in saved_searches(uow, world.people["admin"])}


@pytest.mark.parametrize(("call", "arg"), [
    ("posture_search_evidence", '{"SmtpClientAuthenticationDisabled": false}'),
    ("posture_search_affected", "{printer@contoso.com}"),
])
def test_the_definer_lookups_keep_to_the_callers_scope(world: World, web_engine: Engine, call: str,
                                                      arg: str) -> None:
    """The attack: call the search's definer lookups directly (they read the projection without the
    policy, migration 0020) from a narrower scope, hoping for other customers' keys."""
    cast = {"posture_search_evidence": "jsonb", "posture_search_affected": "text[]"}[call]
    statement = text(f"SELECT DISTINCT customer_id FROM {call}(CAST(:a AS {cast}))")
    seen = {}
    for who in ("admin", "analyst_gold", "alpha_viewer", "admin_b"):
        with unit_of_work(web_engine, world.scope(who)) as uow:
            seen[who] = set(uow.session.scalars(statement, {"a": arg}))
    alpha, delta = world.customers["Alpha"].customer_id, world.customers["Delta"].customer_id
    assert alpha in seen["admin"] and delta not in seen["admin"]  # MSP A's own, never MSP B's
    assert seen["alpha_viewer"] <= {alpha} and alpha in seen["alpha_viewer"]
    assert seen["admin_b"] <= {delta}
    assert seen["analyst_gold"] <= seen["admin"]
