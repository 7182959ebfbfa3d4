"""The executive report's content, from verdicts written by hand: every figure follows the report's rules."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.services.branding import make_brand
from portal.services.reports import AcceptedRisk, ReportInputs, ScannedCheck, build_report, status_in_words

SCAN = dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC)
BRAND = make_brand("Northwind IT")
LEGACY = "entra.ca.block_legacy_auth"  # critical
MFA_ALL = "entra.ca.mfa_all_users"  # critical
DEVICE_CODE = "entra.ca.block_device_code_flow"  # high
WEAK = "entra.authmethods.weak_methods_disabled"  # high
CERTS = "entra.apps.certificate_lifetime_limited"  # medium
CAMPAIGN = "entra.authmethods.registration_campaign"  # low
PIM = "entra.pim.no_permanent_active"


def inputs(checks, **extra) -> ReportInputs:
    return ReportInputs(customer_name="Fourth Coffee", scan_started=SCAN, checks=checks, brand=BRAND,
                        issued_on=dt.date(2026, 11, 5), **extra)


def check(check_id, status, severity, reason=None, affected=()):
    return ScannedCheck(check_id, status, severity, reason, tuple(affected))


def test_target_dates_run_from_the_scan_by_severity():
    report = build_report(inputs([check(LEGACY, "fail", "critical"), check(DEVICE_CODE, "fail", "high"),
                                  check(CERTS, "fail", "medium"), check(CAMPAIGN, "fail", "low")]))
    targets = {c.check_id: c.target for c in report.plan}
    assert targets == {LEGACY: dt.date(2026, 11, 12), DEVICE_CODE: dt.date(2026, 11, 30),
                       CERTS: dt.date(2027, 1, 25), CAMPAIGN: dt.date(2027, 4, 26)}
    assert [c.check_id for c in report.plan] == [LEGACY, DEVICE_CODE, CERTS, CAMPAIGN]  # most severe first
    assert report.data_age_days == 3


def test_score_counts_severity_weights_and_leaves_out_accepted_and_uncounted_checks():
    checks = [check(LEGACY, "pass", "critical"), check(DEVICE_CODE, "fail", "high"), check(CERTS, "pass", "medium"),
              check(WEAK, "fail", "high"), check(CAMPAIGN, "fail", "low")]
    acceptance = AcceptedRisk(WEAK, "Weak methods", "high", "Field staff without smartphones until March",
                              "ciso@fourthcoffee.example", dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    report = build_report(inputs(checks, acceptances={WEAK: acceptance}, scored_severity={CAMPAIGN: None},
                                 baseline_name="Standard"))
    # Counted: critical pass 10, high fail 5, medium pass 3; the accepted high and the low outside the baseline are not.
    assert report.score == pytest.approx(100 * 13 / 18, abs=0.1)
    assert report.grade == "C"  # C from 60
    assert [c.check_id for c in report.plan] == [DEVICE_CODE]
    assert [c.check_id for c in report.failed] == [DEVICE_CODE]
    assert [a.check_id for a in report.accepted] == [WEAK]
    assert report.open_high == 1 and report.open_critical == 0
    assert (report.baseline_name, report.baseline_passing, report.baseline_checks) == ("Standard", 2, 4)


def test_baseline_severity_override_moves_the_target_date():
    report = build_report(inputs([check(CERTS, "fail", "medium")], scored_severity={CERTS: "critical"}))
    assert report.plan[0].severity == "critical" and report.plan[0].target == dt.date(2026, 11, 12)
    assert report.open_critical == 1


def test_an_acceptance_of_a_passing_check_is_not_listed():
    expires = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    acceptance = AcceptedRisk(LEGACY, "t", "critical", "old reason", "a@b.example", expires)
    report = build_report(inputs([check(LEGACY, "pass", "critical")], acceptances={LEGACY: acceptance}))
    assert report.accepted == ()


def test_licence_gated_checks_are_set_apart_with_the_product_they_need():
    report = build_report(inputs([check(PIM, "not_applicable", "high", "license:entra_p2"),
                                  check("entra.hybrid.sync_recent", "not_applicable", "medium", "not_hybrid")]))
    assert [c.check_id for c in report.needs_licence] == [PIM]
    assert "Entra ID P2" in report.needs_licence[0].licence
    assert report.plan == ()


def test_new_and_fixed_compare_with_the_previous_report():
    previous = [check(LEGACY, "fail", "critical"), check(DEVICE_CODE, "pass", "high"), check(CERTS, "fail", "medium")]
    now = [check(LEGACY, "pass", "critical"), check(DEVICE_CODE, "fail", "high"), check(CERTS, "fail", "medium")]
    report = build_report(inputs(now, previous=previous, previous_score=40.0, previous_on=dt.date(2026, 10, 5)))
    assert [c.check_id for c in report.new_failures] == [DEVICE_CODE]
    assert [c.check_id for c in report.fixed] == [LEGACY]
    assert report.change == pytest.approx(round(100 * 10 / 18 - 40.0, 1))


def test_first_report_has_nothing_to_compare():
    report = build_report(inputs([check(LEGACY, "fail", "critical")]))
    assert report.new_failures is None and report.fixed is None and report.change is None


def test_long_affected_lists_are_capped_and_counted():
    users = [f"user{i:05d}@fourthcoffee.example" for i in range(4000)]
    report = build_report(inputs([check(MFA_ALL, "fail", "critical", affected=users)]))
    finding = report.failed[0]
    assert finding.affected_count == 4000 and len(finding.affected) == 10 and finding.affected_hidden == 3990


def test_errors_are_listed_and_lower_coverage_but_never_pass():
    report = build_report(inputs([check(LEGACY, "error", "critical", "insufficient_permission"),
                                  check(DEVICE_CODE, "pass", "high")]))
    assert [c.check_id for c in report.errors] == [LEGACY]
    assert report.coverage == 0.5
    assert report.score == 100.0  # of what could be read; the coverage says how much that is


def test_trend_keeps_ninety_days_to_the_issue_date():
    trend = [(dt.date(2026, 7, 1), 10.0), (dt.date(2026, 8, 8), 20.0), (dt.date(2026, 11, 2), 30.0)]
    report = build_report(inputs([check(LEGACY, "pass", "critical")], trend=trend))
    assert report.trend_start == dt.date(2026, 8, 8)
    assert [d for d, _ in report.trend] == [dt.date(2026, 8, 8), dt.date(2026, 11, 2)]


@pytest.mark.parametrize(("score", "critical", "state", "start"), [
    (95.0, 0, "connected", "Strong"), (80.0, 0, "connected", "Good, with gaps"), (60.0, 0, "connected", "Needs"),
    (30.0, 0, "connected", "At risk"), (95.0, 2, "connected", "At risk: 2 critical issues need "),
    (95.0, 1, "connected", "At risk: 1 critical issue needs "), (95.0, 0, "disconnected", "Not monitored"),
    (None, 0, "connected", "Not yet assessed")])
def test_status_in_words(score, critical, state, start):
    assert status_in_words(score, critical, state).startswith(start)
