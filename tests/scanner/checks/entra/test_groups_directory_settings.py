from scanner.checks.entra.groups._directory_settings import (
    PASSWORD_RULE_TEMPLATE_ID,
    UNIFIED_GROUP_TEMPLATE_ID,
    is_true,
    settings_for_template,
)
from tests.scanner.checks.conftest import graph_value


def test_reads_the_values_of_the_object_made_from_a_template():
    settings = settings_for_template(graph_value("groupsettings"), PASSWORD_RULE_TEMPLATE_ID)
    assert settings is not None
    assert settings["LockoutThreshold"] == "10"
    assert settings["BannedPasswordList"] == ""


def test_matches_template_id_case_insensitively():
    items = graph_value("groupsettings")
    items[0]["templateId"] = UNIFIED_GROUP_TEMPLATE_ID.upper()
    settings = settings_for_template(items, UNIFIED_GROUP_TEMPLATE_ID)
    assert settings is not None
    assert settings["EnableGroupCreation"] == "true"


def test_returns_none_when_the_tenant_has_no_object_for_the_template():
    items = [i for i in graph_value("groupsettings") if i["templateId"] != PASSWORD_RULE_TEMPLATE_ID]
    assert settings_for_template(items, PASSWORD_RULE_TEMPLATE_ID) is None


def test_reads_true_in_either_case_and_nothing_else():
    assert [is_true(v) for v in ("True", "true", " TRUE ", "false", "", None, "yes")] == [
        True, True, True, False, False, False, False,
    ]
