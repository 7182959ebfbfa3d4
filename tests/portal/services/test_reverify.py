"""Re-verify against the simulator over real HTTP: a search's checks run again on exactly the tenants it
named, with a few requests each (counted by the simulator), updating only those checks; tenants that
cannot be scanned are skipped; a tenant already being scanned, or throttled, waits its turn.

The simulator's "neglected" profile has SMTP AUTH on (``exo.smtp_auth.org_disabled`` fails), "typical"
has it off: the answers below are written from the profiles, not read back from the scanner.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select, text

from portal.db.models import CheckResultRow, LatestResult, Role, Scan, ScanStatus, ScanTrigger
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.errors import InvalidInput, NotFound
from portal.services.reverify import reverify_progress, start_reverify
from portal.services.scans import claim, run_scan
from scanner import Throttled
from tests.portal.services.support import Seeded, SimWorld, add_tenant, insert_scan, make_customer, make_msp
from tests.support.database import set_scope

SMTP = "exo.smtp_auth.org_disabled"


@dataclass
class Fleet:
    msp_id: uuid.UUID
    customers: dict[str, Seeded]
    admin: Scope
    membership: MembershipView


def _scan_fully(world: SimWorld, owner: Engine, app: Engine, seeded: Seeded) -> None:
    scan_id = insert_scan(owner, seeded)
    run_scan(app, scan_id, seeded.msp_id, seeded.customer_id, scanner_env=world.scanner_environment())


@pytest.fixture
def fleet(world: SimWorld, owner_engine: Engine, app_engine: Engine) -> Iterator[Fleet]:
    msp_id = make_msp(owner_engine)
    customers = {}
    for name, profile in (("Lax", "neglected"), ("Tidy", "typical"), ("Watched", "neglected")):
        seeded = make_customer(owner_engine, msp_id, tenant_id=add_tenant(world, profile), name=name)
        _scan_fully(world, owner_engine, app_engine, seeded)
        customers[name] = seeded
    with owner_engine.begin() as connection:  # the MSP may only watch this one
        set_scope(connection, msp_id)
        connection.execute(text("UPDATE customers SET access_tier = 'monitor' WHERE id = :c"),
                           {"c": customers["Watched"].customer_id})
        user_id = uuid.uuid4()
        connection.execute(text("INSERT INTO users (id, email, display_name) VALUES (:i, :e, 'Analyst')"),
                           {"i": user_id, "e": f"{user_id.hex}@reverify.test"})
        connection.execute(text("INSERT INTO memberships (id, user_id, msp_id, role) "
                                "VALUES (:i, :u, :m, 'msp_analyst')"),
                           {"i": uuid.uuid4(), "u": user_id, "m": msp_id})
    yield Fleet(msp_id, customers, Scope(msp_id, None, "analyst@reverify.test", user_id),
                MembershipView(msp_id=msp_id, role=Role.MSP_ANALYST))


def _start(fleet: Fleet, web: Engine, query: str) -> tuple[object, list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]]:
    sent: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []
    with unit_of_work(web, fleet.admin) as uow:
        started = start_reverify(uow, fleet.membership, actor="analyst@reverify.test", query=query,
                                 now=dt.datetime.now(dt.UTC), send=sent.extend)
    return started, sent


def test_reverify_runs_only_the_searched_checks_on_the_matching_tenants(
        fleet: Fleet, world: SimWorld, web_engine: Engine, app_engine: Engine) -> None:
    lax, tidy = fleet.customers["Lax"], fleet.customers["Tidy"]
    with unit_of_work(app_engine, Scope.for_customer(lax.msp_id, lax.customer_id)) as uow:
        before = {r.check_id: r.last_seen_at for r in uow.session.scalars(select(LatestResult))}
    started, sent = _start(fleet, web_engine, f"check:{SMTP} status:fail")
    # Lax fails it; Watched fails it too but is at the Monitor tier; Tidy passes it.
    assert (started.tenants, started.skipped, started.check_ids) == (1, 1, (SMTP,))  # type: ignore[attr-defined]
    assert [customer for _, _, customer in sent] == [lax.customer_id]

    world.state.log.reset()
    scan_id, msp_id, customer_id = sent[0]
    run_scan(app_engine, scan_id, msp_id, customer_id, scanner_env=world.scanner_environment())
    counts = world.state.log.counts(lax.tenant_id.lower())
    # The identity service (a new token provider: discovery and a token each for Graph and Exchange),
    # one Graph batch for the licence inventory and organisation (the gates), one Exchange cmdlet for the
    # transport config: five requests, where a full scan of this tenant sends dozens.
    assert (counts["exchange"], counts["graph"] + counts["batch"]) == (1, 1) and counts["identity"] <= 3
    assert world.state.log.counts(tidy.tenant_id.lower())["graph"] == 0  # nothing sent to the others

    with unit_of_work(app_engine, Scope.for_customer(lax.msp_id, lax.customer_id)) as uow:
        scan = uow.session.get(Scan, scan_id)
        assert scan is not None and (scan.trigger, scan.status, scan.check_ids) == (
            ScanTrigger.REVERIFY, ScanStatus.COMPLETED, [SMTP])
        assert list(uow.session.scalars(select(CheckResultRow.check_id).where(CheckResultRow.scan_id == scan_id))) \
            == [SMTP]
        after = {r.check_id: (r.last_seen_at, r.status) for r in uow.session.scalars(select(LatestResult))}
    assert after[SMTP][0] > before[SMTP] and after[SMTP][1] == "fail"
    assert {k: v for k, (v, _) in after.items() if k != SMTP} == {k: v for k, v in before.items() if k != SMTP}

    # The same message delivered again (a broker's redelivery, a replay) finds its scan final: nothing is read.
    world.state.log.reset()
    again = run_scan(app_engine, scan_id, msp_id, customer_id, scanner_env=world.scanner_environment())
    assert not again.recorded and world.state.log.counts(lax.tenant_id.lower())["identity"] == 0

    with unit_of_work(web_engine, fleet.admin) as uow:
        progress = reverify_progress(uow, started.run_id)  # type: ignore[attr-defined]
    assert (progress.tenants, progress.done, progress.complete) == (1, 1, True)
    assert [(f.name, f.status, f.verdicts) for f in progress.finished] == [("Lax", "completed", {SMTP: "fail"})]


def test_an_answer_with_nothing_to_scan_is_refused(fleet: Fleet, web_engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="none of the tenants"):
        _start(fleet, web_engine, f"check:{SMTP} customer:Watched")  # Monitor tier only


def test_a_tenant_with_a_scan_under_way_is_skipped(fleet: Fleet, owner_engine: Engine, web_engine: Engine) -> None:
    insert_scan(owner_engine, fleet.customers["Lax"], status="running")
    started, sent = _start(fleet, web_engine, f"check:{SMTP}")
    assert [c for _, _, c in sent] == [fleet.customers["Tidy"].customer_id]
    assert started.skipped == 2  # type: ignore[attr-defined]


def test_a_tenant_being_scanned_elsewhere_waits_its_turn(fleet: Fleet, world: SimWorld, web_engine: Engine,
                                                         app_engine: Engine, owner_engine: Engine) -> None:
    lax = fleet.customers["Lax"]
    _, sent = _start(fleet, web_engine, f"check:{SMTP} customer:lax")
    scan_id, msp_id, customer_id = sent[0]
    other = insert_scan(owner_engine, lax)
    with claim(app_engine, other, tenant=lax.customer_id) as held:  # another worker is reading this tenant
        assert held
        with pytest.raises(Throttled) as raised:
            run_scan(app_engine, scan_id, msp_id, customer_id, scanner_env=world.scanner_environment())
    assert raised.value.code == "tenant_busy" and raised.value.retry_after_s == 30.0
    with unit_of_work(app_engine, Scope.for_customer(msp_id, customer_id)) as uow:
        assert uow.session.get(Scan, scan_id).status is ScanStatus.QUEUED  # type: ignore[union-attr]


def test_a_throttled_tenant_is_left_alone_until_microsoft_said(fleet: Fleet, world: SimWorld, web_engine: Engine,
                                                               app_engine: Engine, owner_engine: Engine) -> None:
    lax = fleet.customers["Lax"]
    with owner_engine.begin() as connection:
        set_scope(connection, lax.msp_id)
        connection.execute(text("UPDATE customers SET throttled_until = now() + interval '40 seconds' WHERE id = :c"),
                           {"c": lax.customer_id})
    _, sent = _start(fleet, web_engine, f"check:{SMTP} customer:lax")
    world.state.log.reset()
    scan_id, msp_id, customer_id = sent[0]
    with pytest.raises(Throttled) as raised:
        run_scan(app_engine, scan_id, msp_id, customer_id, scanner_env=world.scanner_environment())
    assert raised.value.code == "tenant_throttled" and 30 < raised.value.retry_after_s <= 40  # type: ignore[operator]
    assert world.state.log.counts(lax.tenant_id.lower())["identity"] == 0  # Microsoft was not asked at all


def test_a_run_is_seen_by_its_msps_staff_only_whatever_query_runs(fleet: Fleet, owner_engine: Engine,
                                                                   web_engine: Engine) -> None:
    started, _ = _start(fleet, web_engine, f"check:{SMTP}")
    lax = fleet.customers["Lax"]
    other_msp = Scope(make_msp(owner_engine), None, "someone@other.test", fleet.admin.user_id)
    # A customer of the same MSP and another MSP, running SQL of their own as the application role.
    for scope in (Scope.for_customer(lax.msp_id, lax.customer_id, actor="viewer@lax.test"), other_msp):
        with unit_of_work(web_engine, scope) as uow:
            assert uow.session.execute(text("SELECT count(*) FROM reverify_runs")).scalar_one() == 0
            with pytest.raises(NotFound):
                reverify_progress(uow, started.run_id)  # type: ignore[attr-defined]
