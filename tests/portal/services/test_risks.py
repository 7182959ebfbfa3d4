"""Accepted risks and the score: an accepted failure leaves the score's failures and the open counts,
stays visible, and counts again once it expires (the schedule's pass), every step audited.

Scores expected here are worked out from the weights (critical 10, high 5): a failing critical and a
passing high score 5 / 15 = 33.3; with the critical accepted, 5 / 5 = 100.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Customer, Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.errors import InvalidInput, NotFound
from portal.services.risks import accept_risk, lapse_expired, rescore_customer, revoke_risk, standing_acceptances
from portal.services.scans import record_scan
from scanner import Status
from tests.portal.services.support import CRITICAL, HIGH, Seeded, insert_scan, scan_result, seeded_customer
from tests.support.database import set_scope


def _staff(owner: Engine, seeded: Seeded, role: Role = Role.MSP_ANALYST) -> Scope:
    user_id = uuid.uuid4()
    with owner.begin() as connection:
        connection.execute(text("INSERT INTO users (id, email, display_name) VALUES (:i, :e, 'Analyst')"),
                           {"i": user_id, "e": f"{user_id.hex}@risks.test"})
        set_scope(connection, seeded.msp_id)
        connection.execute(text("INSERT INTO memberships (id, user_id, msp_id, role) VALUES (:i, :u, :m, :r)"),
                           {"i": uuid.uuid4(), "u": user_id, "m": seeded.msp_id, "r": role.value})
    return Scope(seeded.msp_id, None, "analyst@risks.test", user_id)


def _scanned(owner: Engine, app: Engine) -> Seeded:
    seeded = seeded_customer(owner)
    scan_id = insert_scan(owner, seeded, status="running")
    with unit_of_work(app, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        record_scan(uow, scan_id, scan_result({CRITICAL: Status.FAIL, HIGH: Status.PASS},
                                              started_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)))
    return seeded


def _figures(app: Engine, seeded: Seeded) -> tuple[float | None, str | None, int]:
    with unit_of_work(app, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        customer = uow.session.get(Customer, seeded.customer_id)
        assert customer is not None
        return customer.score, customer.grade, customer.open_critical


def _audit(owner: Engine, seeded: Seeded) -> list[tuple[str, str]]:
    with owner.begin() as connection:
        set_scope(connection, seeded.msp_id)
        return [tuple(r) for r in connection.execute(text(  # type: ignore[misc]
            "SELECT action, actor FROM audit_events WHERE customer_id = :c AND action LIKE 'risk.%' ORDER BY id"),
            {"c": seeded.customer_id})]


def test_an_accepted_failure_leaves_the_score_until_it_expires(owner_engine: Engine, app_engine: Engine,
                                                               web_engine: Engine) -> None:
    seeded = _scanned(owner_engine, app_engine)
    assert _figures(app_engine, seeded) == (33.3, "F", 1)
    analyst = _staff(owner_engine, seeded)
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(web_engine, analyst) as uow:
        accept_risk(uow, seeded.customer_id, CRITICAL, reason="  legacy  printer\x00 ", now=now,
                    expires_on=now.date() + dt.timedelta(days=1))
    assert _figures(app_engine, seeded) == (33.3, "F", 1)  # the web role writes no score: a worker rescores
    rescore_customer(app_engine, seeded.msp_id, seeded.customer_id, actor="system:worker")
    assert _figures(app_engine, seeded) == (100.0, "A", 0)
    with unit_of_work(web_engine, analyst) as uow:
        standing = standing_acceptances(uow, seeded.customer_id, now=now)
    assert (standing[CRITICAL].reason, standing[CRITICAL].accepted_by) == ("legacy printer", "analyst@risks.test")

    # A scan that still finds it failing keeps it accepted.
    scan_id = insert_scan(owner_engine, seeded, status="running")
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        record_scan(uow, scan_id, scan_result({CRITICAL: Status.FAIL, HIGH: Status.PASS},
                                              started_at=dt.datetime.now(dt.UTC)))
    assert _figures(app_engine, seeded) == (100.0, "A", 0)

    later = now + dt.timedelta(days=3)  # past the end of tomorrow: it ran out
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id, actor="system:scheduler")) as uow:
        assert lapse_expired(uow, later) == [seeded.customer_id]
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id, actor="system:scheduler")) as uow:
        assert lapse_expired(uow, later) == []  # handled once
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        customer = uow.session.get(Customer, seeded.customer_id)
        assert customer is not None
        # Rescored as of "later": the acceptance no longer stands.
        assert (customer.score, customer.open_critical) == (33.3, 1)
    assert _audit(owner_engine, seeded) == [("risk.accepted", "analyst@risks.test"),
                                            ("risk.expired", "system:scheduler")]


def test_revoking_brings_the_failure_back_and_is_audited(owner_engine: Engine, app_engine: Engine,
                                                         web_engine: Engine) -> None:
    seeded = _scanned(owner_engine, app_engine)
    analyst = _staff(owner_engine, seeded, Role.MSP_ADMIN)
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(web_engine, analyst) as uow:
        accept_risk(uow, seeded.customer_id, CRITICAL, reason="compensating control", now=now,
                    expires_on=now.date() + dt.timedelta(days=30))
    with unit_of_work(web_engine, analyst) as uow:
        revoke_risk(uow, seeded.customer_id, CRITICAL)
        with pytest.raises(NotFound):
            revoke_risk(uow, seeded.customer_id, CRITICAL)  # nothing standing any more
    rescore_customer(app_engine, seeded.msp_id, seeded.customer_id, actor="system:worker")
    assert _figures(app_engine, seeded) == (33.3, "F", 1)
    assert [a for a, _ in _audit(owner_engine, seeded)] == ["risk.accepted", "risk.revoked"]


@pytest.mark.parametrize(("check_id", "reason", "days", "error"), [
    (HIGH, "it passes anyway", 30, NotFound),  # only a failing check can be accepted
    ("no.such.check", "never evaluated", 30, NotFound),
    (CRITICAL, "  ", 30, InvalidInput),
    (CRITICAL, "in the past", -1, InvalidInput),
    (CRITICAL, "too far", 400, InvalidInput),
])
def test_what_cannot_be_accepted_is_refused(owner_engine: Engine, app_engine: Engine, web_engine: Engine,
                                            check_id: str, reason: str, days: int, error: type[Exception]) -> None:
    seeded = _scanned(owner_engine, app_engine)
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(web_engine, _staff(owner_engine, seeded)) as uow, pytest.raises(error):
        accept_risk(uow, seeded.customer_id, check_id, reason=reason, expires_on=now.date() + dt.timedelta(days=days),
                    now=now)


def test_msp_staff_at_the_monitor_tier_cannot_accept(owner_engine: Engine, app_engine: Engine,
                                                     web_engine: Engine) -> None:
    seeded = _scanned(owner_engine, app_engine)
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE customers SET access_tier = 'monitor' WHERE id = :c"),
                           {"c": seeded.customer_id})
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(web_engine, _staff(owner_engine, seeded, Role.MSP_ADMIN)) as uow, \
            pytest.raises(DBAPIError, match="not yours to accept"):
        accept_risk(uow, seeded.customer_id, CRITICAL, reason="monitor only", now=now,
                    expires_on=now.date() + dt.timedelta(days=3))
