import pytest

from scanner.checks import Status
from scanner.checks.entra.consent import admin_workflow as check
from tests.scanner.checks.conftest import graph_body, run


def test_passes_on_documented_policy_with_two_reviewers():
    verdict = run(check, admin_consent_policy=graph_body("policies-adminconsentrequestpolicy"))
    assert verdict.status is Status.PASS
    assert verdict.evidence["reviewers"] == [
        "/users/906e0ee5-6372-4cc8-8248-fdf2846b48ed",
        "/users/daddef1a-acb0-4f62-96d0-49df2495d657",
    ]


def test_fails_when_workflow_is_disabled():
    policy = graph_body("policies-adminconsentrequestpolicy")
    policy["isEnabled"] = False
    verdict = run(check, admin_consent_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "workflow_disabled")


def test_fails_when_no_one_reviews_requests():
    policy = graph_body("policies-adminconsentrequestpolicy")
    policy["reviewers"] = []
    verdict = run(check, admin_consent_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_reviewers")


def test_missing_field_is_an_error_not_a_pass():
    policy = graph_body("policies-adminconsentrequestpolicy")
    del policy["isEnabled"]
    with pytest.raises(KeyError):
        run(check, admin_consent_policy=policy)
