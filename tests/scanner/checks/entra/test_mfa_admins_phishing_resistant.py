import pytest

from scanner.checks import Status
from scanner.checks.entra.mfa import admins_phishing_resistant as check
from tests.scanner.checks.conftest import graph_value, run


def _rows():
    return graph_value("reports-authenticationmethods-userregistrationdetails")


def test_passes_when_the_report_lists_no_admins():
    verdict = run(check, registration_details=_rows())
    assert (verdict.status, verdict.reason) == (Status.PASS, "no_admins")


def test_fails_for_an_admin_with_push_and_codes_only():
    rows = _rows()
    rows[0]["isAdmin"] = True
    verdict = run(check, registration_details=rows)
    assert (verdict.status, verdict.reason) == (Status.FAIL, None)
    assert verdict.affected == ["AlexW@Contoso.com"]


@pytest.mark.parametrize(
    "method",
    ["fido2", "windowsHelloForBusiness", "passKeyDeviceBound", "passKeyDeviceBoundAuthenticator",
     "passKeyDeviceBoundWindowsHello"],
)
def test_passes_for_an_admin_with_a_phishing_resistant_method(method):
    rows = _rows()
    rows[0]["isAdmin"] = True
    rows[0]["methodsRegistered"].append(method)
    verdict = run(check, registration_details=rows)
    assert (verdict.status, verdict.reason) == (Status.PASS, None)
    assert verdict.evidence == {"admins": 1, "without_phishing_resistant_method": 0}
