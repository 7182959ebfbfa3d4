import pytest

from scanner.checks import Status
from scanner.checks.entra.groups._directory_settings import PASSWORD_RULE_TEMPLATE_ID
from scanner.checks.entra.passwords import smart_lockout as check
from tests.scanner.checks.conftest import graph_value, run


def _with_value(name: str, value: str) -> list[dict]:
    items = graph_value("groupsettings")
    rules = next(i for i in items if i["templateId"] == PASSWORD_RULE_TEMPLATE_ID)
    next(v for v in rules["values"] if v["name"] == name)["value"] = value
    return items


def test_passes_at_threshold_10_and_60_seconds():
    verdict = run(check, group_settings=graph_value("groupsettings"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"LockoutThreshold": 10, "LockoutDurationInSeconds": 60}


def test_fails_when_the_threshold_is_above_10():
    verdict = run(check, group_settings=_with_value("LockoutThreshold", "11"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "threshold_too_high")


def test_fails_when_the_lockout_is_shorter_than_60_seconds():
    verdict = run(check, group_settings=_with_value("LockoutDurationInSeconds", "30"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "duration_too_short")


def test_passes_on_defaults_when_there_is_no_settings_object():
    items = [i for i in graph_value("groupsettings") if i["templateId"] != PASSWORD_RULE_TEMPLATE_ID]
    verdict = run(check, group_settings=items)
    assert (verdict.status, verdict.reason) == (Status.PASS, "defaults")


def test_non_numeric_value_is_an_error_not_a_pass():
    with pytest.raises(ValueError):
        run(check, group_settings=_with_value("LockoutThreshold", "ten"))
