from scanner.checks import Status
from scanner.checks.entra.groups._directory_settings import PASSWORD_RULE_TEMPLATE_ID
from scanner.checks.entra.passwords import onprem_protection as check
from tests.scanner.checks.conftest import graph_value, run


def _with_value(name: str, value: str) -> list[dict]:
    items = graph_value("groupsettings")
    rules = next(i for i in items if i["templateId"] == PASSWORD_RULE_TEMPLATE_ID)
    next(v for v in rules["values"] if v["name"] == name)["value"] = value
    return items


def test_fails_when_on_premises_check_only_audits():
    verdict = run(check, group_settings=graph_value("groupsettings"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "audit_mode")


def test_passes_when_enabled_and_enforced():
    verdict = run(check, group_settings=_with_value("BannedPasswordCheckOnPremisesMode", "Enforce"))
    assert verdict.status is Status.PASS


def test_fails_when_on_premises_check_is_off():
    items = _with_value("BannedPasswordCheckOnPremisesMode", "Enforce")
    rules = next(i for i in items if i["templateId"] == PASSWORD_RULE_TEMPLATE_ID)
    next(v for v in rules["values"] if v["name"] == "EnableBannedPasswordCheckOnPremises")["value"] = "False"
    verdict = run(check, group_settings=items)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "not_enabled")


def test_fails_without_a_settings_object_because_the_default_only_audits():
    items = [i for i in graph_value("groupsettings") if i["templateId"] != PASSWORD_RULE_TEMPLATE_ID]
    verdict = run(check, group_settings=items)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_settings_object")
