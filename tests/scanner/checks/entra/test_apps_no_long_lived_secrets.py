import datetime as dt

from scanner.checks import Status
from scanner.checks.entra.apps import no_long_lived_secrets as check
from tests.scanner.checks.conftest import NOW, graph_value, run

PAYROLL_APP_ID = "6a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"


def test_passes_with_a_180_day_secret_and_a_certificate_only_app():
    verdict = run(check, applications=graph_value("applications"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"applications_read": 2, "secrets": []}


def test_fails_on_a_two_year_secret():
    apps = graph_value("applications")
    apps[0]["passwordCredentials"][0]["endDateTime"] = "2028-06-01T09:30:00.297Z"
    verdict = run(check, applications=apps)
    assert verdict.status is Status.FAIL
    assert verdict.affected == [PAYROLL_APP_ID]
    assert verdict.evidence["secrets"][0]["problem"] == "lifetime_over_180_days"


def test_fails_on_an_expired_secret_left_on_the_app():
    verdict = run(check, now=NOW + dt.timedelta(days=60), applications=graph_value("applications"))
    assert verdict.status is Status.FAIL
    assert verdict.affected == [PAYROLL_APP_ID]
    assert verdict.evidence["secrets"][0]["problem"] == "expired"


def test_reads_seven_digit_fractions_as_graph_sometimes_writes_them():
    apps = graph_value("applications")
    apps[0]["passwordCredentials"][0]["endDateTime"] = "2026-11-28T09:30:00.2970000Z"
    assert run(check, applications=apps).status is Status.PASS
