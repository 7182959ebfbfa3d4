from scanner.checks import Status
from scanner.checks.entra.authmethods import migration_complete as check
from tests.scanner.checks.conftest import graph_body, run

HARDENED = "policies-authenticationmethodspolicy-hardened"


def test_passes_when_migration_is_complete():
    verdict = run(check, auth_methods_policy=graph_body(HARDENED))
    assert (verdict.status, verdict.reason) == (Status.PASS, None)


def test_fails_while_migration_is_in_progress():
    policy = graph_body(HARDENED)
    policy["policyMigrationState"] = "migrationInProgress"
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.FAIL, "migration_incomplete")
    assert verdict.evidence["policyMigrationState"] == "migrationInProgress"


def test_null_state_counts_as_complete():
    policy = graph_body(HARDENED)
    policy["policyMigrationState"] = None
    verdict = run(check, auth_methods_policy=policy)
    assert (verdict.status, verdict.reason) == (Status.PASS, "state_not_reported")
    assert verdict.evidence["reported"] is True


def test_documented_example_without_the_property_counts_as_complete():
    verdict = run(check, auth_methods_policy=graph_body("policies-authenticationmethodspolicy"))
    assert (verdict.status, verdict.reason) == (Status.PASS, "state_not_reported")
    assert verdict.evidence["reported"] is False
