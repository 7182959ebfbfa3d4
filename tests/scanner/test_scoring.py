from scanner._result import CheckResult
from scanner._scoring import coverage, grade, score
from scanner.checks import CheckMeta, Severity, Status


def _result(severity: Severity, status: Status) -> CheckResult:
    meta = CheckMeta(id=f"t.{severity.value}", title="t", area="t", severity=severity, collections=("users",),
                     rationale="r", remediation="r")
    return CheckResult(meta, status)


def test_score_weights_critical_above_several_lows():
    results = [_result(Severity.CRITICAL, Status.FAIL)] + [_result(Severity.LOW, Status.PASS)] * 5
    assert score(results) == round(100 * 5 / 15, 1)


def test_not_applicable_and_error_do_not_change_the_score():
    base = [_result(Severity.HIGH, Status.PASS), _result(Severity.HIGH, Status.FAIL)]
    extra = [_result(Severity.CRITICAL, Status.NOT_APPLICABLE), _result(Severity.CRITICAL, Status.ERROR)]
    assert score(base) == score(base + extra) == 50.0


def test_errors_lower_coverage_not_applicable_does_not():
    results = [_result(Severity.HIGH, Status.PASS), _result(Severity.HIGH, Status.ERROR),
               _result(Severity.CRITICAL, Status.NOT_APPLICABLE)]
    assert coverage(results) == 0.5


def test_nothing_evaluated_gives_no_score_and_zero_coverage():
    results = [_result(Severity.HIGH, Status.ERROR)]
    assert score(results) is None
    assert coverage(results) == 0.0
    assert grade(None) is None


def test_grade_bands():
    assert [grade(v) for v in (100, 90, 89.9, 75, 60, 40, 39.9)] == ["A", "A", "B", "B", "C", "D", "F"]
