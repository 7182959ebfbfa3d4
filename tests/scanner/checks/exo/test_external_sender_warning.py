"""MS.EXO.7.1v1 as ScubaGear's EXOConfig.rego rules it (EnabledRules): an enabled, enforced transport rule
for senders outside the organisation that prepends a subject tag."""

import pytest

from scanner.checks import Status
from scanner.checks.exo import external_sender_warning as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import exchange_value


def _with_warning(**changes):
    rules = exchange_value("Get-TransportRule")
    warning = {**rules[0], "Name": "External tag", "Identity": "External tag", "FromScope": "NotInOrganization",
               "SentToScope": None, "PrependSubject": "[EXTERNAL] ", "ApplyHtmlDisclaimerText": None, **changes}
    return [*rules, warning]


def test_fails_when_no_rule_marks_external_mail():
    verdict = run(check, exo_transport_rules=exchange_value("Get-TransportRule"))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_external_warning_rule")


def test_passes_with_an_enforced_external_tag_rule():
    verdict = run(check, exo_transport_rules=_with_warning())
    assert verdict.status is Status.PASS
    assert verdict.evidence["warning_rules"] == ["External tag"]


@pytest.mark.parametrize("changes", [
    {"State": "Disabled"},
    {"Mode": "Audit"},  # test mode: the rule logs, it does not tag
    {"Mode": "AuditAndNotify"},
    {"FromScope": "InOrganization"},
    {"FromScope": None},
    {"PrependSubject": ""},
    {"PrependSubject": None},
])
def test_a_rule_missing_any_part_does_not_count(changes):
    assert run(check, exo_transport_rules=_with_warning(**changes)).status is Status.FAIL


def test_a_rule_without_mode_is_an_error_not_a_pass():
    rules = _with_warning()
    del rules[1]["Mode"]
    with pytest.raises(KeyError):
        run(check, exo_transport_rules=rules)
