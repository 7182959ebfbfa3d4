"""Baselines: which one a customer is on, the score read against it, its settings in the scan, alignment,
and who may change one.

Scores are worked out by hand from the weights (critical 10, high 5, medium 3): the critical passing,
the high and the medium failing score 10 / 18 = 55.6 on the whole catalogue; on a baseline of the
critical and the high, with the high raised to critical, 10 / 20 = 50.0, one open critical, no open high.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Baseline, Customer, LatestResult, Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.baselines import (
    BaselineForm,
    alignment,
    choose,
    parse_overrides,
    parse_settings,
    rules_of,
    save_baseline,
)
from portal.services.errors import Conflict, Forbidden, InvalidInput
from portal.services.posture import customer_posture
from portal.services.risks import rescore_customer
from portal.services.scans import record_scan, run_scan
from scanner import Status
from tests.portal.services.support import (
    CRITICAL,
    HIGH,
    MEDIUM,
    Seeded,
    SimWorld,
    add_member,
    add_tenant,
    insert_scan,
    make_customer,
    make_msp,
    scan_result,
)
from tests.support.database import set_scope

NOW = dt.datetime.now(dt.UTC)
GA_COUNT = "entra.roles.global_admin_count"


def _baseline(name: str, *, tags: tuple[str, ...] = (), tiers: tuple[str, ...] = (), default: bool = False,
              priority: int = 100) -> Baseline:
    return Baseline(id=uuid.uuid4(), name=name, assign_tags=list(tags), assign_tiers=list(tiers),
                    is_default=default, priority=priority, deleted_at=None)


def test_a_customer_gets_the_first_matching_baseline_else_the_default() -> None:
    gold = _baseline("Gold", tags=("gold",), priority=10)
    premium = _baseline("Premium", tiers=("premium",), priority=20)
    standard = _baseline("Standard", default=True)
    every = [standard, premium, gold]
    assert choose(every, ["Gold", "eu"], "premium") is gold  # both match: the lower priority number wins
    assert choose(every, ["eu"], "premium") is premium
    assert choose(every, ["eu"], "standard") is standard
    assert choose([gold, premium], [], "standard") is None  # no default: the whole catalogue
    gold.deleted_at = NOW
    assert choose(every, ["gold"], "standard") is standard


def test_settings_may_tighten_never_loosen_past_the_reference() -> None:
    assert parse_settings({"global_admin_min": "2", "global_admin_max": "8", "inactive_days": ""}) == {
        "global_admin_min": 2, "global_admin_max": 8}
    for bad in ({"global_admin_min": "1"}, {"global_admin_max": "9"}, {"inactive_days": "120"},
                {"secure_score_target": "0.4"}, {"global_admin_min": "5", "global_admin_max": "3"},
                {"inactive_days": "30.5"}, {"inactive_days": "soon"}, {"global_admin_max": "nan"},
                {"global_admin_max": "inf"}, {"inactive_days": "-inf"}):
        with pytest.raises(InvalidInput):
            parse_settings(bad)
    assert parse_overrides(f"# raised for regulated customers\n{HIGH}: critical\n{MEDIUM} = low") == {
        HIGH: "critical", MEDIUM: "low"}
    for bad in ("nonsense", "no.such.check: high", f"{HIGH}: urgent"):
        with pytest.raises(InvalidInput):
            parse_overrides(bad)


def _tag(owner: Engine, seeded: Seeded, *tags: str) -> None:
    with owner.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE customers SET tags = :t WHERE id = :c"),
                           {"t": list(tags), "c": seeded.customer_id})


def _figures(app: Engine, seeded: Seeded) -> tuple[float | None, int, int, str | None]:
    with unit_of_work(app, Scope.for_msp(seeded.msp_id)) as uow:
        c = uow.session.get(Customer, seeded.customer_id)
        assert c is not None
        return c.score, c.open_critical, c.open_high, c.baseline_name


def test_the_score_is_read_against_the_customers_baseline(owner_engine: Engine, app_engine: Engine,
                                                          web_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    gold, plain = make_customer(owner_engine, msp_id, name="Gold Co"), make_customer(owner_engine, msp_id, name="Plain")
    _tag(owner_engine, gold, "gold")
    for seeded in (gold, plain):
        scan_id = insert_scan(owner_engine, seeded, status="running")
        with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
            record_scan(uow, scan_id, scan_result({CRITICAL: Status.PASS, HIGH: Status.FAIL, MEDIUM: Status.FAIL},
                                                  started_at=NOW - dt.timedelta(hours=1)))
    assert _figures(app_engine, gold) == (55.6, 0, 1, None)

    scope, admin = add_member(owner_engine, msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, scope) as uow:
        _, to_rescore = save_baseline(uow, admin, BaselineForm(
            name="Regulated", check_ids=(CRITICAL, HIGH), overrides=f"{HIGH}: critical", assign_tags="Gold"), now=NOW)
    assert set(to_rescore) == {gold.customer_id, plain.customer_id}
    for customer_id in to_rescore:  # what the rescore queue's worker does
        rescore_customer(app_engine, msp_id, customer_id, actor="system:worker")
    assert _figures(app_engine, gold) == (50.0, 1, 0, "Regulated")
    assert _figures(app_engine, plain) == (55.6, 0, 1, None)  # not tagged: the whole catalogue

    with unit_of_work(app_engine, Scope.for_customer(msp_id, gold.customer_id)) as uow:
        posture = customer_posture(uow, gold.customer_id, today=NOW.date())
    by_check = {f.check_id: f for f in posture.findings}
    assert (by_check[HIGH].severity, by_check[HIGH].counted) == ("critical", True)
    assert by_check[MEDIUM].counted is False and posture.baseline_name == "Regulated"
    with unit_of_work(web_engine, scope) as uow:
        rows = {a.name: a for a in alignment(uow)}
    assert (rows["Gold Co"].counted, rows["Gold Co"].failing, rows["Gold Co"].aligned) == (2, 1, 50.0)
    assert (rows["Plain"].counted, rows["Plain"].aligned) == (3, 33.3)


def test_a_baselines_settings_reach_the_scan(world: SimWorld, owner_engine: Engine, app_engine: Engine,
                                             web_engine: Engine) -> None:
    """The neglected tenant has five Global Administrators: failing at the default range (2 to 4),
    passing at ScubaGear's (2 to 8) when the customer's baseline says so."""
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id, tenant_id=add_tenant(world, "neglected"), name="Wide")

    def ga_verdict() -> str:
        scan_id = insert_scan(owner_engine, seeded)
        run_scan(app_engine, scan_id, msp_id, seeded.customer_id, scanner_env=world.scanner_environment())
        with unit_of_work(app_engine, Scope.for_customer(msp_id, seeded.customer_id)) as uow:
            return str(uow.session.scalar(select(LatestResult.status).where(
                LatestResult.customer_id == seeded.customer_id, LatestResult.check_id == GA_COUNT)))

    assert ga_verdict() == "fail"
    scope, admin = add_member(owner_engine, msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, scope) as uow:
        save_baseline(uow, admin, BaselineForm(name="ScubaGear range", is_default=True,
                                               settings={"global_admin_max": "8"}), now=NOW)
    assert ga_verdict() == "pass"


def test_only_msp_admins_change_baselines_even_behind_the_service(owner_engine: Engine, web_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id)
    admin_scope, admin = add_member(owner_engine, msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin_scope) as uow:
        save_baseline(uow, admin, BaselineForm(name="Standard", is_default=True), now=NOW)
    with pytest.raises(Conflict), unit_of_work(web_engine, admin_scope) as uow:
        save_baseline(uow, admin, BaselineForm(name="standard"), now=NOW)  # names compare without case
    with pytest.raises(Conflict), unit_of_work(web_engine, admin_scope) as uow:
        save_baseline(uow, admin, BaselineForm(name="Second default", is_default=True), now=NOW)
    analyst_scope, analyst = add_member(owner_engine, msp_id, Role.MSP_ANALYST)
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst_scope) as uow:
        save_baseline(uow, analyst, BaselineForm(name="Mine"), now=NOW)
    with pytest.raises(DBAPIError, match="row-level security"), unit_of_work(web_engine, analyst_scope) as uow:
        uow.session.execute(text("INSERT INTO baselines (msp_id, name, created_by) VALUES (:m, 'x', 'me')"),
                            {"m": msp_id})
    with unit_of_work(web_engine, analyst_scope) as uow:  # an analyst reads them
        assert uow.session.execute(text("SELECT count(*) FROM baselines")).scalar_one() == 1
        uow.session.execute(text("UPDATE baselines SET check_ids = '{x}'"))  # silently touches nothing
    customer_scope, _ = add_member(owner_engine, msp_id, Role.CUSTOMER_ADMIN, seeded.customer_id)
    with unit_of_work(web_engine, customer_scope) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM baselines")).scalar_one() == 0
    with owner_engine.connect() as connection:
        assert connection.execute(text("SELECT check_ids FROM baselines WHERE msp_id = :m"),
                                  {"m": msp_id}).scalar_one() is None
    assert rules_of(None).severity_of(HIGH, "high") == "high"
