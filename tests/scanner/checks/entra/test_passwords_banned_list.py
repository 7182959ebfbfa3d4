from scanner.checks import Status
from scanner.checks.entra.groups._directory_settings import PASSWORD_RULE_TEMPLATE_ID
from scanner.checks.entra.passwords import banned_list as check
from tests.scanner.checks.conftest import graph_value, run


def _with_value(name: str, value: str) -> list[dict]:
    items = graph_value("groupsettings")
    rules = next(i for i in items if i["templateId"] == PASSWORD_RULE_TEMPLATE_ID)
    next(v for v in rules["values"] if v["name"] == name)["value"] = value
    return items


def test_fails_when_the_custom_list_is_enforced_but_empty():
    verdict = run(check, group_settings=graph_value("groupsettings"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "custom_list_empty")


def test_passes_with_an_enforced_list_of_words():
    verdict = run(check, group_settings=_with_value("BannedPasswordList", "contoso\tfabrikam\tseattle"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"EnableBannedPasswordCheck": "True", "banned_password_count": 3}


def test_fails_when_the_list_has_words_but_is_not_enforced():
    items = _with_value("BannedPasswordList", "contoso")
    rules = next(i for i in items if i["templateId"] == PASSWORD_RULE_TEMPLATE_ID)
    next(v for v in rules["values"] if v["name"] == "EnableBannedPasswordCheck")["value"] = "False"
    verdict = run(check, group_settings=items)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "custom_list_not_enforced")


def test_fails_without_a_settings_object_because_the_default_has_no_custom_list():
    items = [i for i in graph_value("groupsettings") if i["templateId"] != PASSWORD_RULE_TEMPLATE_ID]
    verdict = run(check, group_settings=items)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_settings_object")
