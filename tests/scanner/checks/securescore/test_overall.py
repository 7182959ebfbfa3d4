from scanner.checks import Status, TenantConfig
from scanner.checks.securescore import overall as check
from tests.scanner.checks.conftest import graph_value, run


def test_fails_below_the_default_target():
    verdict = run(check, secure_scores=graph_value("security-securescores"))
    assert verdict.status is Status.FAIL
    assert verdict.evidence["currentScore"] == 387.0
    assert verdict.evidence["maxScore"] == 697.0
    assert verdict.evidence["ratio"] == 0.555
    assert verdict.evidence["averageScore_AllTenants"] == 37.0


def test_passes_at_or_above_the_tenant_target():
    verdict = run(check, TenantConfig(secure_score_target=0.55), secure_scores=graph_value("security-securescores"))
    assert verdict.status is Status.PASS


def test_reads_the_latest_score():
    scores = graph_value("security-securescores")
    older = {**scores[0], "createdDateTime": "2019-03-18T15:21:00Z", "currentScore": 697.0}
    verdict = run(check, secure_scores=[older, *scores])
    assert verdict.status is Status.FAIL
    assert verdict.evidence["createdDateTime"] == "2019-03-19T15:21:00Z"


def test_not_applicable_before_the_first_score():
    verdict = run(check, secure_scores=[])
    assert verdict.status is Status.NOT_APPLICABLE
    assert verdict.reason == "no_secure_score_yet"


def test_not_applicable_while_nothing_is_scored():
    scores = graph_value("security-securescores")
    scores[0]["maxScore"] = 0.0
    verdict = run(check, secure_scores=scores)
    assert verdict.status is Status.NOT_APPLICABLE
    assert verdict.reason == "no_secure_score_yet"


def test_missing_all_tenants_average_is_reported_as_none():
    scores = graph_value("security-securescores")
    scores[0]["averageComparativeScores"] = []
    assert run(check, secure_scores=scores).evidence["averageScore_AllTenants"] is None
