from scanner.checks import Status
from scanner.checks.intune import noncompliant_by_default as check
from tests.scanner.checks.conftest import graph_body, run


def test_fails_on_intune_default_where_unpoliced_devices_count_as_compliant():
    verdict = run(check, intune_settings=graph_body("devicemanagement-settings"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"secureByDefault": False}


def test_passes_when_unpoliced_devices_are_not_compliant():
    settings = graph_body("devicemanagement-settings")
    settings["secureByDefault"] = True
    assert run(check, intune_settings=settings).status is Status.PASS
