"""Shared tenants on PostgreSQL with row-level security: a host's directory as its scans read it, its
domains and groups given to billing customers, each licensed user counted once for the right one from
the next scan on, and what no one but an MSP admin may do to it.

Expected counts are worked out by hand from the partitions each test records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Customer, Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.billing import (
    Period,
    Selection,
    add_selections,
    billing_groups_of,
    daily_usage,
    latest_managed_users,
    remove_customer,
    remove_selection,
    review_selections,
    seats_view,
    split_by_selections,
    tenant_view,
)
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.onboarding import may_make_consent_link
from portal.services.scans import record_scan
from scanner import Status
from tests.portal.services.support import (
    CRITICAL,
    Seeded,
    add_member,
    insert_scan,
    make_customer,
    make_msp,
    scan_result,
)
from tests.support.database import set_scope

UTC = dt.UTC
FINANCE, SALES = "3f1e0c2a-6b7d-4e8f-9a1b-2c3d4e5f6a7b", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
DIRECTORY = {"domains": [{"name": "contoso.com", "default": True, "initial": False},
                         {"name": "fabrikam.com", "default": False, "initial": False}],
             "groups": [{"id": FINANCE, "name": "Finance", "kind": "security", "dynamic": False},
                        {"id": SALES, "name": "Sales", "kind": "microsoft365", "dynamic": False}]}


def _partitions(*parts: tuple[list[str], list[str], int]) -> list[dict[str, object]]:
    return [{"domains": d, "groups": g, "count": n} for d, g, n in parts]


#: 10 at contoso.com alone, 4 at contoso.com in Finance, 3 at fabrikam.com, 2 at fabrikam.com in Finance.
PARTS = _partitions((["contoso.com"], [], 10), (["contoso.com"], [FINANCE], 4), (["fabrikam.com"], [], 3),
                    (["fabrikam.com"], [FINANCE], 2))


def _record(owner_engine: Engine, app_engine: Engine, host: Seeded, at: dt.datetime, *,
            partitions: list[dict[str, object]] | None = PARTS, asked: list[str] = (), directory: bool = True) -> None:
    """Record a full scan of the host as a worker does, with these figures."""
    licensed = None if partitions is None else sum(int(p["count"]) for p in partitions)  # type: ignore[arg-type]
    result = dataclasses.replace(
        scan_result({CRITICAL: Status.FAIL}, started_at=at),
        environment={"licensed": licensed, "licensed_partitions": partitions, "billing_groups_asked": list(asked)},
        directory=DIRECTORY if directory else None)
    scan_id = insert_scan(owner_engine, host, status="running")
    with unit_of_work(app_engine, Scope.for_customer(host.msp_id, host.customer_id)) as uow:
        record_scan(uow, scan_id, result)


@pytest.fixture
def host(owner_engine: Engine, app_engine: Engine) -> Seeded:
    seeded = make_customer(owner_engine, make_msp(owner_engine), name="Contoso Group")
    _record(owner_engine, app_engine, seeded, dt.datetime.now(UTC) - dt.timedelta(days=1))
    return seeded


def _admin(owner_engine: Engine, host: Seeded) -> Scope:
    return add_member(owner_engine, host.msp_id, Role.MSP_ADMIN)[0]


def _selection(customer: str, kind: str, value: str, given: dt.datetime | None = None) -> Selection:
    return Selection(uuid.uuid5(uuid.NAMESPACE_DNS, customer + value), uuid.uuid5(uuid.NAMESPACE_DNS, customer),
                     customer, kind, value, value, "t", given or dt.datetime.now(UTC))


# --- placing users (pure) -------------------------------------------------------------------------------------


def test_each_licensed_user_counts_once_domains_first_then_groups() -> None:
    host = uuid.uuid4()
    fabrikam, northwind = _selection("Fabrikam", "domain", "fabrikam.com"), _selection("Northwind", "group", FINANCE)
    split = split_by_selections(PARTS, [northwind, fabrikam], host)
    # Fabrikam: its domain, with or without Finance (3 + 2); Northwind: Finance at contoso.com (4); the host 10.
    assert split == {str(host): 10, str(fabrikam.billing_customer_id): 5, str(northwind.billing_customer_id): 4}
    assert sum(split.values()) == 19


def test_two_billing_customers_naming_the_same_users_the_one_given_first_wins() -> None:
    host, day = uuid.uuid4(), dt.datetime(2026, 11, 1, tzinfo=UTC)
    zeta = _selection("Zeta", "group", FINANCE, day)
    alpha = _selection("Alpha", "group", SALES, day + dt.timedelta(hours=1))
    both = _partitions((["contoso.com"], sorted([FINANCE, SALES]), 6))
    assert split_by_selections(both, [alpha, zeta], host) == {str(host): 0, str(zeta.billing_customer_id): 6}


# --- the directory, the selections and the split, on PostgreSQL -------------------------------------------------


def test_the_directory_is_kept_and_listed_with_search_and_kind(owner_engine: Engine, web_engine: Engine,
                                                               host: Seeded) -> None:
    with unit_of_work(web_engine, _admin(owner_engine, host)) as uow:
        view = tenant_view(uow, host.customer_id)
        assert view.refreshed_at is not None and view.total == 4
        assert [(e.kind, e.value, e.detail) for e in view.entries] == [
            ("domain", "contoso.com", "Verified domain"), ("domain", "fabrikam.com", "Verified domain"),
            ("group", FINANCE, "Security group"), ("group", SALES, "Microsoft 365 group")]
        assert [e.label for e in tenant_view(uow, host.customer_id, q="fin").entries] == ["Finance"]
        assert [e.label for e in tenant_view(uow, host.customer_id, q=SALES[:8]).entries] == ["Sales"]  # by id
        assert [e.label for e in tenant_view(uow, host.customer_id, kind="domain").entries] == [
            "contoso.com", "fabrikam.com"]


def test_selections_split_the_seats_from_the_next_scan_on(owner_engine: Engine, app_engine: Engine,
                                                          web_engine: Engine, host: Seeded) -> None:
    admin = _admin(owner_engine, host)
    with unit_of_work(web_engine, admin) as uow:
        fabrikam = add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None,
                                  new_name="Fabrikam")
        northwind = add_selections(uow, host.customer_id, [f"group:{FINANCE}"], billing_customer_id=None,
                                   new_name="Northwind")
        # Not yet: the latest scan made no split, so the host still has all 19 and the new ones none.
        assert latest_managed_users(uow) == {host.customer_id: 19, fabrikam: 0, northwind: 0}
        assert billing_groups_of(uow, host.customer_id) == [FINANCE]
    _record(owner_engine, app_engine, host, dt.datetime.now(UTC) - dt.timedelta(minutes=5), asked=[FINANCE])
    with unit_of_work(web_engine, admin) as uow:
        assert latest_managed_users(uow) == {host.customer_id: 10, fabrikam: 5, northwind: 4}
        rows = {r.name: r for r in seats_view(uow).rows}
        assert rows["Fabrikam"].host == (host.customer_id, "Contoso Group")
        assert rows["Contoso Group"].shared_with == 2
        today = dt.datetime.now(UTC).date()
        usage = {u.name: u.users_by_day[today] for u in daily_usage(uow, Period.month_of(today),
                                                                     today + dt.timedelta(days=1))}
    assert usage == {"Contoso Group": 10, "Fabrikam": 5, "Northwind": 4}


def test_a_scan_that_could_not_place_users_changes_no_count(owner_engine: Engine, app_engine: Engine,
                                                            web_engine: Engine, host: Seeded) -> None:
    admin = _admin(owner_engine, host)
    with unit_of_work(web_engine, admin) as uow:
        northwind = add_selections(uow, host.customer_id, [f"group:{FINANCE}"], billing_customer_id=None,
                                   new_name="Northwind")
    _record(owner_engine, app_engine, host, dt.datetime.now(UTC) - dt.timedelta(minutes=9), asked=[FINANCE])
    # Then a scan that did not read Finance's members (asked for none), and one that read no users at all.
    _record(owner_engine, app_engine, host, dt.datetime.now(UTC) - dt.timedelta(minutes=6), asked=[])
    _record(owner_engine, app_engine, host, dt.datetime.now(UTC) - dt.timedelta(minutes=3), partitions=None)
    with unit_of_work(web_engine, admin) as uow:
        assert latest_managed_users(uow) == {host.customer_id: 13, northwind: 6}


def test_a_choice_is_reviewed_first_and_refused_when_it_cannot_be(owner_engine: Engine, web_engine: Engine,
                                                                  host: Seeded) -> None:
    admin = _admin(owner_engine, host)
    with unit_of_work(web_engine, admin) as uow:
        with pytest.raises(InvalidInput, match="at least one"):
            review_selections(uow, host.customer_id, [], billing_customer_id=None, new_name="Fabrikam")
        with pytest.raises(InvalidInput, match="one billing customer"):
            review_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None)
        with pytest.raises(InvalidInput, match="latest scan"):
            review_selections(uow, host.customer_id, ["domain:evil.example"], billing_customer_id=None, new_name="X")
        review = review_selections(uow, host.customer_id, ["domain:fabrikam.com", f"group:{SALES}"],
                                   billing_customer_id=None, new_name="Fabrikam")
        assert review.is_new and [e.label for e in review.entries] == ["fabrikam.com", "Sales"]
        fabrikam = add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None,
                                  new_name="Fabrikam")
        other = add_selections(uow, host.customer_id, [f"group:{SALES}"], billing_customer_id=None, new_name="Other")
        # Already Fabrikam's: another billing customer cannot have it; Fabrikam itself may ask again.
        with pytest.raises(Conflict, match="already belongs to Fabrikam"):
            review_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=other)
        assert add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=fabrikam) == fabrikam
        entry = next(e for e in tenant_view(uow, host.customer_id).entries if e.value == "fabrikam.com")
        assert entry.selection is not None and entry.selection.billing_customer_name == "Fabrikam"
        remove_selection(uow, host.customer_id, entry.selection.id)
        again = next(e for e in tenant_view(uow, host.customer_id).entries if e.value == "fabrikam.com")
        assert again.selection is None
        with pytest.raises(NotFound):
            remove_selection(uow, host.customer_id, uuid.uuid4())


def test_a_billing_customer_has_no_tenant_to_share(owner_engine: Engine, web_engine: Engine, host: Seeded) -> None:
    admin = _admin(owner_engine, host)
    with unit_of_work(web_engine, admin) as uow:
        fabrikam = add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None,
                                  new_name="Fabrikam")
        with pytest.raises(Conflict, match="connected tenant"):
            tenant_view(uow, fabrikam)
    with pytest.raises(DBAPIError, match="not yours to bill"), unit_of_work(web_engine, admin) as uow:
        uow.session.execute(text("SELECT posture_add_billing_customer(:h, 'Chain')"), {"h": fabrikam})


# --- attacks --------------------------------------------------------------------------------------------------


def test_an_analyst_cannot_split_a_tenant_even_with_sql(owner_engine: Engine, web_engine: Engine, host: Seeded) -> None:
    admin = _admin(owner_engine, host)
    with unit_of_work(web_engine, admin) as uow:
        fabrikam = add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None,
                                  new_name="Fabrikam")
    analyst = add_member(owner_engine, host.msp_id, Role.MSP_ANALYST)[0]
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst) as uow:
        add_selections(uow, host.customer_id, [f"group:{SALES}"], billing_customer_id=fabrikam)
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst) as uow:
        add_selections(uow, host.customer_id, [f"group:{SALES}"], billing_customer_id=None, new_name="Mine")
    with unit_of_work(web_engine, analyst) as uow:
        selection = next(e.selection for e in tenant_view(uow, host.customer_id).entries if e.selection)
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst) as uow:
        remove_selection(uow, host.customer_id, selection.id)
    with pytest.raises(DBAPIError, match="row-level security"), unit_of_work(web_engine, analyst) as uow:
        uow.session.execute(text(
            "INSERT INTO tenant_selections (msp_id, customer_id, billing_customer_id, kind, value, label) "
            "VALUES (:m, :h, :b, 'group', :g, 'x')"), {"m": host.msp_id, "h": host.customer_id, "b": fabrikam,
                                                       "g": SALES.lower()})


def test_no_selection_may_name_a_customer_that_does_not_share_the_tenant(owner_engine: Engine, web_engine: Engine,
                                                                          host: Seeded) -> None:
    """The attack: an admin's injected statement gives a tenant's users to an unrelated customer (its own
    tenant, or another MSP's)."""
    admin = _admin(owner_engine, host)
    unrelated = make_customer(owner_engine, host.msp_id, name="Unrelated")
    foreign = make_customer(owner_engine, make_msp(owner_engine), name="Foreign")
    for target, message in ((unrelated.customer_id, "row-level security"),
                            (foreign.customer_id, "foreign key|row-level")):
        with pytest.raises(DBAPIError, match=message), unit_of_work(web_engine, admin) as uow:
            uow.session.execute(text(
                "INSERT INTO tenant_selections (msp_id, customer_id, billing_customer_id, kind, value, label) "
                "VALUES (:m, :h, :b, 'domain', 'fabrikam.com', 'x')"),
                {"m": host.msp_id, "h": host.customer_id, "b": target})


def test_a_customers_own_people_see_no_directory_and_no_selection(owner_engine: Engine, web_engine: Engine,
                                                                  host: Seeded) -> None:
    admin = _admin(owner_engine, host)
    with unit_of_work(web_engine, admin) as uow:
        add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None, new_name="Fabrikam")
    resident = add_member(owner_engine, host.msp_id, Role.CUSTOMER_ADMIN, host.customer_id)[0]
    with unit_of_work(web_engine, resident) as uow:
        assert uow.session.scalar(text("SELECT count(*) FROM tenant_directories")) == 0
        assert uow.session.scalar(text("SELECT count(*) FROM tenant_selections")) == 0


# --- what the review found: no user billed to nobody, no tenant served free ---------------------------------


def test_precedence_goes_by_the_matched_selections_not_the_customers_oldest() -> None:
    host, day = uuid.uuid4(), dt.datetime(2026, 11, 1, tzinfo=UTC)
    a_domain = _selection("A", "domain", "a.example", day)
    a_group = _selection("A", "group", "ga", day + dt.timedelta(hours=2))
    b_group = _selection("B", "group", "gb", day + dt.timedelta(hours=1))
    both = _partitions((["contoso.com"], ["ga", "gb"], 4))
    # The user is in ga (A's, given third) and gb (B's, given second): B's selection came first.
    assert split_by_selections(both, [a_domain, a_group, b_group], host) == {
        str(host): 0, str(b_group.billing_customer_id): 4}


def test_a_billing_customer_can_never_have_a_tenant_of_its_own(owner_engine: Engine, web_engine: Engine,
                                                                host: Seeded) -> None:
    """The attack: connect a big tenant to a billing customer of a one-user host; it would be scanned
    and, counted only from its host's scans, never billed."""
    admin_scope, admin = add_member(owner_engine, host.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin_scope) as uow:
        fabrikam = add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None,
                                  new_name="Fabrikam")
        customer = uow.session.get(Customer, fabrikam)
        assert customer is not None and not may_make_consent_link(admin, customer)
    with pytest.raises(DBAPIError, match="ck_customers_billing_host_untenanted"), owner_engine.begin() as connection:
        set_scope(connection, host.msp_id)
        connection.execute(text("UPDATE customers SET tenant_id = :t WHERE id = :c"),
                           {"t": str(uuid.uuid4()), "c": fabrikam})


def test_removing_a_billing_customer_gives_its_users_back_to_the_host(owner_engine: Engine, app_engine: Engine,
                                                                       web_engine: Engine, host: Seeded) -> None:
    admin = _admin(owner_engine, host)
    with unit_of_work(web_engine, admin) as uow:
        fabrikam = add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None,
                                  new_name="Fabrikam")
    _record(owner_engine, app_engine, host, dt.datetime.now(UTC) - dt.timedelta(minutes=5))
    with unit_of_work(web_engine, admin) as uow:
        assert latest_managed_users(uow) == {host.customer_id: 14, fabrikam: 5}
        remove_customer(uow, fabrikam)
    with unit_of_work(web_engine, admin) as uow:
        # At once, before any scan: the removed one's share of the latest split is the host's again.
        assert latest_managed_users(uow)[host.customer_id] == 19
        assert tenant_view(uow, host.customer_id).selections == []  # fabrikam.com may be given again
        today = dt.datetime.now(UTC).date()
        usage = {u.name: u.users_by_day for u in daily_usage(uow, Period.month_of(today), today + dt.timedelta(days=1))}
    assert usage["Contoso Group"][today] == 19 and today not in usage.get("Fabrikam", {})


def test_removing_the_host_removes_the_billing_customers_sharing_it(owner_engine: Engine, web_engine: Engine,
                                                                     host: Seeded) -> None:
    admin = _admin(owner_engine, host)
    with unit_of_work(web_engine, admin) as uow:
        fabrikam = add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None,
                                  new_name="Fabrikam")
        remove_customer(uow, host.customer_id)
    with owner_engine.connect() as connection:
        removed = connection.execute(text("SELECT id FROM customers WHERE removed_at IS NOT NULL AND id IN (:h, :f)"),
                                     {"h": host.customer_id, "f": fabrikam}).scalars().all()
        left = connection.scalar(text("SELECT count(*) FROM tenant_selections WHERE customer_id = :h"),
                                 {"h": host.customer_id})
    assert set(removed) == {host.customer_id, fabrikam} and left == 0


def test_splitting_a_tenant_is_in_the_msps_audit_trail_not_the_tenants(owner_engine: Engine, web_engine: Engine,
                                                                       host: Seeded) -> None:
    admin = _admin(owner_engine, host)
    with unit_of_work(web_engine, admin) as uow:
        add_selections(uow, host.customer_id, ["domain:fabrikam.com"], billing_customer_id=None, new_name="Fabrikam")
        selection = tenant_view(uow, host.customer_id).selections[0]
        remove_selection(uow, host.customer_id, selection.id)
    with owner_engine.connect() as connection:
        events = connection.execute(text(
            "SELECT action, customer_id, actor, details ->> 'selection' FROM audit_events WHERE msp_id = :m "
            "AND action LIKE 'billing.tenant_split%' ORDER BY id"), {"m": host.msp_id}).all()
    assert [(e.action, e.customer_id, e.actor) for e in events] == [
        ("billing.tenant_split", None, admin.actor), ("billing.tenant_split_removed", None, admin.actor)]
    assert events[1][3] == "domain:fabrikam.com"
