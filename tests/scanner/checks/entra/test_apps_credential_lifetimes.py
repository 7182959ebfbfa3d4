"""MS.AAD.5.6v1 and 5.7v1: secret lifetime at most 180 days, certificate lifetime at most 365 days,
in the default app-management policy for every app (ScubaGear's rule; 5.6 is not applicable where
adding secrets is blocked, per 5.5)."""

import pytest

from scanner.checks import Status
from scanner.checks.entra.apps import certificate_lifetime_limited as certificates
from scanner.checks.entra.apps import secret_lifetime_limited as secrets
from tests.scanner.checks.conftest import graph_body, graph_value, run


def _rule(kind: str, lifetime: str, since: str | None = None) -> dict:
    return {"restrictionType": kind, "state": "enabled", "maxLifetime": lifetime,
            "restrictForAppsCreatedAfterDateTime": since}


def _policy(passwords: list[dict], keys: list[dict]) -> dict:
    policy = graph_body("policies-defaultappmanagementpolicy")
    policy["isEnabled"] = True
    for key in ("applicationRestrictions", "servicePrincipalRestrictions"):
        policy[key]["passwordCredentials"] = [dict(r) for r in passwords]
        policy[key]["keyCredentials"] = [dict(r) for r in keys]
    return policy


def _run(check, policy, custom=None):
    return run(check, app_management_policy=policy, app_management_policies=custom or [])


@pytest.mark.parametrize(("lifetime", "status"), [("P180D", Status.PASS), ("P180DT1S", Status.FAIL),
                                                  ("P90D", Status.PASS), ("P25W", Status.PASS), ("P26W", Status.FAIL)])
def test_secret_lifetime_at_most_180_days(lifetime: str, status: Status) -> None:
    assert _run(secrets, _policy([_rule("passwordLifetime", lifetime)], [])).status is status


@pytest.mark.parametrize(("lifetime", "status"), [("P365D", Status.PASS), ("P366D", Status.FAIL)])
def test_certificate_lifetime_at_most_365_days(lifetime: str, status: Status) -> None:
    assert _run(certificates, _policy([], [_rule("asymmetricKeyLifetime", lifetime)])).status is status


def test_the_documented_default_policy_is_off_and_fails_both() -> None:
    policy = graph_body("policies-defaultappmanagementpolicy")
    for check in (secrets, certificates):
        assert (_run(check, policy).status, _run(check, policy).reason) == (Status.FAIL, "policy_disabled")


def test_secret_lifetime_is_not_applicable_when_secrets_cannot_be_added() -> None:
    policy = _policy([_rule("passwordAddition", None, "0001-01-01T00:00:00Z")], [])
    verdict = _run(secrets, policy)
    assert (verdict.status, verdict.reason) == (Status.NOT_APPLICABLE, "password_addition_blocked")


def test_a_limit_for_new_apps_only_does_not_count() -> None:
    verdict = _run(secrets, _policy([_rule("passwordLifetime", "P90D", "2024-06-01T00:00:00Z")], []))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "lifetime_not_limited")


def test_a_custom_policy_allowing_longer_lives_is_an_exemption() -> None:
    custom = graph_value("policies-appmanagementpolicies")  # secrets up to 90 days, but no certificate limit
    # As documented, its secret limit covers apps created after 2014 only: older apps it governs are exempt.
    assert _run(secrets, _policy([_rule("passwordLifetime", "P180D")], []), custom).reason == "custom_policy_allows"
    custom[0]["restrictions"]["passwordCredentials"][0]["restrictForAppsCreatedAfterDateTime"] = None
    assert _run(secrets, _policy([_rule("passwordLifetime", "P180D")], []), custom).status is Status.PASS
    verdict = _run(certificates, _policy([], [_rule("asymmetricKeyLifetime", "P365D")]), custom)
    assert (verdict.status, verdict.reason, verdict.affected) == (
        Status.FAIL, "custom_policy_allows", ["Custom app management policy"])


@pytest.mark.parametrize("lifetime", ["P1Y", "P6M", "180 days", ""])
def test_a_lifetime_that_is_not_a_day_time_duration_is_an_error_not_a_pass(lifetime: str) -> None:
    with pytest.raises(ValueError):
        _run(secrets, _policy([_rule("passwordLifetime", lifetime)], []))
