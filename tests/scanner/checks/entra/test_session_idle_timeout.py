import json

import pytest

from scanner.checks import Status
from scanner.checks.entra.session import idle_timeout as check
from tests.scanner.checks.conftest import graph_value, run

POLICY_ID = "4b7a2c9e-1d3f-4e5a-b6c7-8d9e0f1a2b3c"


def _with_app_policy(application_id: str, timeout: str) -> list[dict]:
    items = graph_value("policies-activitybasedtimeoutpolicies")
    definition = json.loads(items[0]["definition"][0])
    definition["ActivityBasedTimeoutPolicy"]["ApplicationPolicies"] = [
        {"ApplicationId": application_id, "WebSessionIdleTimeout": timeout}
    ]
    items[0]["definition"] = [json.dumps(definition)]
    return items


def test_passes_with_a_one_hour_default_timeout():
    verdict = run(check, activity_timeout_policies=graph_value("policies-activitybasedtimeoutpolicies"))
    assert verdict.status is Status.PASS
    assert verdict.evidence["default_web_session_idle_timeouts"] == {POLICY_ID: ["01:00:00"]}


def test_passes_at_exactly_three_hours():
    assert run(check, activity_timeout_policies=_with_app_policy("default", "03:00:00")).status is Status.PASS


@pytest.mark.parametrize("timeout", ["03:00:01", "1.00:00:00"])
def test_fails_when_the_default_timeout_is_longer_than_three_hours(timeout):
    verdict = run(check, activity_timeout_policies=_with_app_policy("default", timeout))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "timeout_too_long")
    assert verdict.affected == [POLICY_ID]


def test_fails_when_only_one_named_application_times_out():
    items = _with_app_policy("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "00:15:00")
    verdict = run(check, activity_timeout_policies=items)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_default_timeout")


def test_fails_when_there_is_no_policy():
    verdict = run(check, activity_timeout_policies=[])
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_default_timeout")


def test_unparseable_definition_is_an_error_not_a_pass():
    items = graph_value("policies-activitybasedtimeoutpolicies")
    items[0]["definition"] = ["definition-value"]
    with pytest.raises(ValueError):
        run(check, activity_timeout_policies=items)
