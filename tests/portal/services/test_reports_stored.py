"""Branding and stored reports against PostgreSQL, as the web and worker roles: who may brand, who may ask
for a report, what a worker renders from the stored scan, and what a redelivered message does."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import uuid

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Report, Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.branding import BrandingForm, brand_for, branding_of, save_branding
from portal.services.errors import Conflict, Forbidden, NotFound
from portal.services.reports import render_stored_report, report_pdf, reports_of, request_fleet_report, request_report
from portal.services.risks import accept_risk
from portal.services.scans import record_scan
from scanner import Status
from tests.portal.services.support import (
    CRITICAL,
    HIGH,
    Seeded,
    add_member,
    insert_scan,
    make_customer,
    record_verdicts,
    scan_result,
    seeded_customer,
)
from tests.support.database import set_scope

DAY = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)
FORM = BrandingForm(display_name="Northwind IT", primary="#ffcc00", accent="#123456", contact="help@northwind.test")


def _tier(owner: Engine, seeded: Seeded, tier: str) -> None:
    with owner.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE customers SET access_tier = :t WHERE id = :c"),
                           {"t": tier, "c": seeded.customer_id})


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


# --- branding ------------------------------------------------------------------------------------------


def test_msp_admin_sets_the_default_and_analysts_cannot(owner_engine, web_engine):
    seeded = seeded_customer(owner_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    analyst, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ANALYST)
    with unit_of_work(web_engine, admin) as uow:
        save_branding(uow, seeded.msp_id, FORM)
    with unit_of_work(web_engine, admin) as uow:
        view = branding_of(uow, seeded.msp_id)
    assert view.stored and view.brand.display_name == "Northwind IT" and view.brand.primary == "#ffcc00"
    assert view.updated_by == "msp_admin@members.test"
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst) as uow:
        save_branding(uow, seeded.msp_id, dataclasses.replace(FORM, display_name="Hijacked"))
    with unit_of_work(web_engine, admin) as uow:
        assert branding_of(uow, seeded.msp_id).brand.display_name == "Northwind IT"


@pytest.mark.parametrize(("tier", "allowed"), [("operate", False), ("manage", True)])
def test_analysts_brand_a_customer_only_at_the_manage_tier(owner_engine, web_engine, tier, allowed):
    seeded = seeded_customer(owner_engine)
    _tier(owner_engine, seeded, tier)
    analyst, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ANALYST)
    form = dataclasses.replace(FORM, display_name="Contoso Ltd", use_own=True)
    if allowed:
        with unit_of_work(web_engine, analyst) as uow:
            save_branding(uow, seeded.msp_id, form, seeded.customer_id)
        with unit_of_work(web_engine, analyst) as uow:
            assert branding_of(uow, seeded.msp_id, seeded.customer_id).use_own
    else:
        with pytest.raises(Forbidden), unit_of_work(web_engine, analyst) as uow:
            save_branding(uow, seeded.msp_id, form, seeded.customer_id)


def test_a_customer_admin_cannot_write_branding_even_with_an_injected_statement(owner_engine, web_engine):
    seeded = seeded_customer(owner_engine)
    _tier(owner_engine, seeded, "manage")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        save_branding(uow, seeded.msp_id, dataclasses.replace(FORM, use_own=True), seeded.customer_id)
    customer_admin, _ = add_member(owner_engine, seeded.msp_id, Role.CUSTOMER_ADMIN, seeded.customer_id)
    with pytest.raises(Forbidden), unit_of_work(web_engine, customer_admin) as uow:
        save_branding(uow, seeded.msp_id, dataclasses.replace(FORM, display_name="Ours now"), seeded.customer_id)
    with unit_of_work(web_engine, customer_admin) as uow:
        changed = uow.session.execute(text("UPDATE brandings SET display_name = 'Ours now'")).rowcount
        assert changed == 0  # the restrictive policy hides the row from the update
        with pytest.raises(DBAPIError, match="row-level security"):
            uow.session.execute(text("INSERT INTO brandings (msp_id, customer_id, display_name, primary_colour, "
                                     "accent_colour) VALUES (:m, :c, 'x', '#000000', '#000000')"),
                                {"m": seeded.msp_id, "c": seeded.customer_id})


def test_outputs_use_the_customers_branding_only_while_switched_on(owner_engine, web_engine, app_engine):
    seeded = seeded_customer(owner_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        save_branding(uow, seeded.msp_id, FORM)
        save_branding(uow, seeded.msp_id, BrandingForm("Contoso Ltd", "#0b6e4f", "#222222", use_own=False),
                      seeded.customer_id)
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        off = brand_for(uow, seeded.msp_id, seeded.customer_id)
    with unit_of_work(web_engine, admin) as uow:
        save_branding(uow, seeded.msp_id, BrandingForm("Contoso Ltd", "#0b6e4f", "#222222", use_own=True),
                      seeded.customer_id)
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        on = brand_for(uow, seeded.msp_id, seeded.customer_id)
    assert (off.display_name, off.primary) == ("Northwind IT", "#ffcc00")
    assert (on.display_name, on.primary) == ("Contoso Ltd", "#0b6e4f")
    assert on.attribution == off.attribution == "Prepared by Test MSP"  # always the MSP's
    assert on.contact == "help@northwind.test"  # the customer left it empty: the MSP's


def test_a_hostile_logo_is_refused_and_nothing_is_stored(owner_engine, web_engine):
    seeded = seeded_customer(owner_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    from portal.services.errors import InvalidInput

    with pytest.raises(InvalidInput), unit_of_work(web_engine, admin) as uow:
        save_branding(uow, seeded.msp_id, dataclasses.replace(FORM, logo=b"<!DOCTYPE svg [<!ENTITY a 'x'>]><svg/>"))
    with unit_of_work(web_engine, admin) as uow:
        assert not branding_of(uow, seeded.msp_id).stored


# --- reports -------------------------------------------------------------------------------------------


def _render_all(app: Engine, seeded: Seeded) -> None:
    with unit_of_work(app, Scope.for_msp(seeded.msp_id)) as uow:
        queued = list(uow.session.scalars(text("SELECT id FROM reports WHERE status = 'queued'")))
    for report_id in queued:
        render_stored_report(app, report_id, seeded.msp_id, seeded.customer_id)


def test_customer_admin_asks_a_worker_renders_and_viewers_download(owner_engine, web_engine, app_engine):
    seeded = seeded_customer(owner_engine, name="Fourth <b>Coffee</b>")
    record_verdicts(owner_engine, app_engine, seeded, {CRITICAL: Status.FAIL, HIGH: Status.PASS}, DAY)
    customer_admin, _ = add_member(owner_engine, seeded.msp_id, Role.CUSTOMER_ADMIN, seeded.customer_id)
    viewer, _ = add_member(owner_engine, seeded.msp_id, Role.CUSTOMER_VIEWER, seeded.customer_id)
    with unit_of_work(web_engine, customer_admin) as uow:
        report_id = request_report(uow, seeded.customer_id, note="Quarterly review.\nSee the plan.")
    assert render_stored_report(app_engine, report_id, seeded.msp_id, seeded.customer_id) == "ready"
    with unit_of_work(web_engine, viewer) as uow:
        [view] = reports_of(uow, seeded.customer_id)
        got, pdf = report_pdf(uow, report_id)
    assert (view.version, view.status, view.requested_by) == (1, "ready", "customer_admin@members.test")
    assert view.size == len(pdf) and view.pages and view.pages >= 5
    # The failing critical against a passing high: 5 of 15 points.
    assert view.score == pytest.approx(33.3, abs=0.1) and view.grade == "F"
    text_ = _text(pdf)
    assert "Fourth <b>Coffee</b>" in text_ and "Quarterly review." in text_ and "version 1" in text_
    assert "Legacy authentication is blocked" in text_
    assert got.filename == "executive-report-2026-11-02-v1.pdf"


def test_customer_viewer_cannot_ask_for_a_report_even_directly(owner_engine, web_engine, app_engine):
    seeded = seeded_customer(owner_engine)
    scan_id = record_verdicts(owner_engine, app_engine, seeded, {CRITICAL: Status.PASS}, DAY)
    viewer, _ = add_member(owner_engine, seeded.msp_id, Role.CUSTOMER_VIEWER, seeded.customer_id)
    with pytest.raises(Forbidden), unit_of_work(web_engine, viewer) as uow:
        request_report(uow, seeded.customer_id)
    with pytest.raises(DBAPIError, match="row-level security"), unit_of_work(web_engine, viewer) as uow:
        uow.session.execute(text("INSERT INTO reports (msp_id, customer_id, scan_id, kind, version) "
                                 "VALUES (:m, :c, :s, 'executive', 7)"),
                            {"m": seeded.msp_id, "c": seeded.customer_id, "s": scan_id})


def test_monitor_tier_stops_analysts_making_reports(owner_engine, web_engine, app_engine):
    seeded = seeded_customer(owner_engine)
    record_verdicts(owner_engine, app_engine, seeded, {CRITICAL: Status.PASS}, DAY)
    _tier(owner_engine, seeded, "monitor")
    analyst, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ANALYST)
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst) as uow:
        request_report(uow, seeded.customer_id)


def test_another_msps_customer_and_scan_are_not_found(owner_engine, web_engine, app_engine):
    mine = seeded_customer(owner_engine)
    theirs = seeded_customer(owner_engine)
    their_scan = record_verdicts(owner_engine, app_engine, theirs, {CRITICAL: Status.FAIL}, DAY)
    record_verdicts(owner_engine, app_engine, mine, {CRITICAL: Status.FAIL}, DAY)
    admin, _ = add_member(owner_engine, mine.msp_id, Role.MSP_ADMIN)
    with pytest.raises(NotFound), unit_of_work(web_engine, admin) as uow:
        request_report(uow, theirs.customer_id)
    with pytest.raises(NotFound), unit_of_work(web_engine, admin) as uow:
        request_report(uow, mine.customer_id, scan_id=their_scan)  # a foreign scan id on my customer
    their_admin, _ = add_member(owner_engine, theirs.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, their_admin) as uow:
        their_report = request_report(uow, theirs.customer_id)
    render_stored_report(app_engine, their_report, theirs.msp_id, theirs.customer_id)
    with pytest.raises(NotFound), unit_of_work(web_engine, admin) as uow:
        report_pdf(uow, their_report)


def test_no_finished_scan_is_a_conflict(owner_engine, web_engine):
    seeded = seeded_customer(owner_engine)
    insert_scan(owner_engine, seeded, status="running")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with pytest.raises(Conflict), unit_of_work(web_engine, admin) as uow:
        request_report(uow, seeded.customer_id)


def test_a_redelivered_message_renders_nothing_twice(owner_engine, web_engine, app_engine):
    seeded = seeded_customer(owner_engine)
    record_verdicts(owner_engine, app_engine, seeded, {CRITICAL: Status.FAIL}, DAY)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        report_id = request_report(uow, seeded.customer_id)
    render_stored_report(app_engine, report_id, seeded.msp_id, seeded.customer_id)
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        first = uow.session.get(Report, report_id)
        stamp, digest = first.rendered_at, first.pdf_sha256
    assert render_stored_report(app_engine, report_id, seeded.msp_id, seeded.customer_id) == "ready"
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        again = uow.session.get(Report, report_id)
        assert (again.rendered_at, again.pdf_sha256) == (stamp, digest)


def test_a_second_version_compares_with_the_previous_report_and_shows_accepted_risks(owner_engine, web_engine,
                                                                                       app_engine):
    seeded = seeded_customer(owner_engine)
    record_verdicts(owner_engine, app_engine, seeded, {CRITICAL: Status.FAIL, HIGH: Status.PASS}, DAY)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        first = request_report(uow, seeded.customer_id)
    render_stored_report(app_engine, first, seeded.msp_id, seeded.customer_id)
    # A week later the critical is fixed and the high regressed; the high's failure is then accepted.
    record_verdicts(owner_engine, app_engine, seeded, {CRITICAL: Status.PASS, HIGH: Status.FAIL},
                    DAY + dt.timedelta(days=7))
    with unit_of_work(web_engine, admin) as uow:
        accept_risk(uow, seeded.customer_id, HIGH, reason="Vendor appliance needs it until March",
                    expires_on=dt.date.today() + dt.timedelta(days=60), now=dt.datetime.now(dt.UTC))
    with unit_of_work(web_engine, admin) as uow:
        second = request_report(uow, seeded.customer_id)
    render_stored_report(app_engine, second, seeded.msp_id, seeded.customer_id)
    with unit_of_work(web_engine, admin) as uow:
        views = reports_of(uow, seeded.customer_id)
        _, pdf = report_pdf(uow, second)
    assert [v.version for v in views] == [1, 1]  # one version of each scan
    text_ = _text(pdf)
    accepted = text_[text_.index("Accepted risks Control"):][:400]
    assert "Vendor appliance needs it until March" in accepted
    assert "msp_admin@members.test" in accepted.replace(" ", "")  # a narrow column may wrap the address
    fixed = text_[text_.index("Fixed since the last report"):]
    assert "Legacy authentication is blocked" in fixed[:300]
    assert "Change since 2 November 2026" in text_


def test_the_scan_records_the_environment_the_report_shows(owner_engine, app_engine):
    seeded = seeded_customer(owner_engine)
    scan_id = insert_scan(owner_engine, seeded, status="running")
    result = dataclasses.replace(scan_result({CRITICAL: Status.PASS}, started_at=DAY),
                                 environment={"members": 1234, "guests": 56})
    with unit_of_work(app_engine, Scope.for_customer(seeded.msp_id, seeded.customer_id)) as uow:
        record_scan(uow, scan_id, result)
    with owner_engine.begin() as connection:
        stored = connection.execute(text("SELECT environment FROM scans WHERE id = :s"), {"s": scan_id}).scalar_one()
    assert stored == {"members": 1234, "guests": 56}


def test_fleet_report_is_for_msp_admins_only(owner_engine, web_engine, app_engine):
    seeded = seeded_customer(owner_engine, name="Alpha")
    other = make_customer(owner_engine, seeded.msp_id, name="Beta")
    record_verdicts(owner_engine, app_engine, seeded, {CRITICAL: Status.FAIL, HIGH: Status.PASS}, DAY)
    record_verdicts(owner_engine, app_engine, other, {CRITICAL: Status.FAIL, HIGH: Status.FAIL}, DAY)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    analyst, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ANALYST)
    with unit_of_work(web_engine, admin) as uow:
        report_id = request_fleet_report(uow, seeded.msp_id, note="For the board")
    assert render_stored_report(app_engine, report_id, seeded.msp_id, None) == "ready"
    with unit_of_work(web_engine, admin) as uow:
        _, pdf = report_pdf(uow, report_id)
    text_ = _text(pdf)
    assert "Alpha" in text_ and "Beta" in text_ and "For the board" in text_
    # Both fail the critical: it leads the common failures, counted twice.
    common = text_[text_.index("Most common failures"):]
    assert "Legacy authentication is blocked CRITICAL 2" in common  # badges are set in capitals
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst) as uow:
        request_fleet_report(uow, seeded.msp_id)
    with pytest.raises(NotFound), unit_of_work(web_engine, analyst) as uow:
        report_pdf(uow, report_id)  # an analyst's MSP-wide scope does not reach the fleet report


def test_fleet_report_by_tag_leaves_the_others_out(owner_engine, web_engine, app_engine):
    seeded = seeded_customer(owner_engine, name="Tagged Co")
    other = make_customer(owner_engine, seeded.msp_id, name="Untagged Co")
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE customers SET tags = '{gold}' WHERE id = :c"), {"c": seeded.customer_id})
    for s in (seeded, other):
        record_verdicts(owner_engine, app_engine, s, {CRITICAL: Status.PASS}, DAY)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        report_id = request_fleet_report(uow, seeded.msp_id, tag="Gold")
    render_stored_report(app_engine, report_id, seeded.msp_id, None)
    with unit_of_work(web_engine, admin) as uow:
        _, pdf = report_pdf(uow, report_id)
    text_ = _text(pdf)
    assert "Tagged Co" in text_ and "Untagged Co" not in text_ and "gold" in text_


def test_unknown_report_id_is_not_found(owner_engine, web_engine):
    seeded = seeded_customer(owner_engine)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with pytest.raises(NotFound), unit_of_work(web_engine, admin) as uow:
        report_pdf(uow, uuid.uuid4())
