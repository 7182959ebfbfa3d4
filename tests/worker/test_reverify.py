"""Re-verify through a real broker: the run's scans leave as one Dramatiq group and real worker processes
run them against the simulator, each only the searched check, and the projection moves."""

from __future__ import annotations

import datetime as dt

from dramatiq import Broker
from sqlalchemy import Engine, select

from config.messages import BrokerScanGroup
from portal.db.models import LatestResult, Role, Scan, ScanStatus
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.reverify import reverify_progress, start_reverify
from portal.services.scans import run_scan
from tests.portal.services.support import SimWorld, add_tenant, insert_scan, make_customer, make_msp
from tests.support.people import add_person
from tests.worker.conftest import wait_for

SMTP = "exo.smtp_auth.org_disabled"


def test_a_reverify_group_is_run_by_the_workers(world: SimWorld, app_engine: Engine, web_engine: Engine,
                                                owner_engine: Engine, scope_key: bytes, producer: Broker,
                                                start_worker) -> None:  # type: ignore[no-untyped-def]
    msp_id = make_msp(owner_engine)
    customers = [make_customer(owner_engine, msp_id, tenant_id=add_tenant(world, "neglected"), name=f"Lax {i}")
                 for i in range(4)]
    for seeded in customers:  # the first scans, here: the workers only get the re-verify
        run_scan(app_engine, insert_scan(owner_engine, seeded), msp_id, seeded.customer_id,
                 scanner_env=world.scanner_environment())
    membership = MembershipView(msp_id=msp_id, role=Role.MSP_ADMIN)
    user_id, email = add_person(owner_engine, scope_key, [membership])
    scope = Scope(msp_id, None, email, user_id)
    with unit_of_work(web_engine, scope) as uow:
        started = start_reverify(uow, membership, actor=email, query=f"check:{SMTP} status:fail",
                                 now=dt.datetime.now(dt.UTC), send=BrokerScanGroup(producer))
    assert started.tenants == 4

    worker = start_worker()

    def progress():  # type: ignore[no-untyped-def]
        with unit_of_work(web_engine, scope) as uow:
            return reverify_progress(uow, started.run_id)

    wait_for(lambda: progress().complete, "the re-verify's four scans", worker)
    done = progress()
    assert done.by_status == {"completed": 4}
    assert sorted(f.name for f in done.finished) == [f"Lax {i}" for i in range(4)]
    assert all(f.verdicts == {SMTP: "fail"} for f in done.finished)
    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        scans = list(uow.session.scalars(select(Scan).where(Scan.reverify_id == started.run_id)))
        assert {(s.status, tuple(s.check_ids or ())) for s in scans} == {(ScanStatus.COMPLETED, (SMTP,))}
        moved = uow.session.scalars(select(LatestResult.check_id).where(
            LatestResult.scan_id.in_([s.id for s in scans]))).all()
    assert sorted(moved) == [SMTP] * 4
