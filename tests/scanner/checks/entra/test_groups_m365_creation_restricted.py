import pytest

from scanner.checks import Status
from scanner.checks.entra.groups import m365_creation_restricted as check
from scanner.checks.entra.groups._directory_settings import UNIFIED_GROUP_TEMPLATE_ID
from tests.scanner.checks.conftest import graph_value, run


def _with_value(name: str, value: str) -> list[dict]:
    items = graph_value("groupsettings")
    unified = next(i for i in items if i["templateId"] == UNIFIED_GROUP_TEMPLATE_ID)
    next(v for v in unified["values"] if v["name"] == name)["value"] = value
    return items


def test_fails_when_group_creation_is_left_on():
    verdict = run(check, group_settings=graph_value("groupsettings"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence["EnableGroupCreation"] == "true"


@pytest.mark.parametrize("value", ["false", "False"])
def test_passes_when_group_creation_is_off(value):
    verdict = run(check, group_settings=_with_value("EnableGroupCreation", value))
    assert verdict.status is Status.PASS


def test_fails_without_a_settings_object_because_the_default_allows_creation():
    items = [i for i in graph_value("groupsettings") if i["templateId"] != UNIFIED_GROUP_TEMPLATE_ID]
    verdict = run(check, group_settings=items)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_settings_object")


def test_missing_value_is_an_error_not_a_pass():
    items = graph_value("groupsettings")
    unified = next(i for i in items if i["templateId"] == UNIFIED_GROUP_TEMPLATE_ID)
    unified["values"] = [v for v in unified["values"] if v["name"] != "EnableGroupCreation"]
    with pytest.raises(KeyError):
        run(check, group_settings=items)
