import datetime as dt

from scanner._errors import InsufficientPermission
from scanner._runner import run_checks
from scanner.checks import Check, CheckMeta, Gate, Severity, Status, TenantConfig, Verdict

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _check(evaluate, gates=(), collections=("authorization_policy",)) -> Check:
    meta = CheckMeta(id="test.check", title="t", area="t", severity=Severity.HIGH, collections=collections,
                     gates=gates, rationale="r", remediation="r")
    return Check(meta, evaluate)


def _run(check, collected, gates=frozenset()):
    return run_checks([check], collected, set(gates), now=NOW, config=TenantConfig(), tenant_id="t")[0]


def test_missing_licence_is_not_applicable_without_evaluating():
    def boom(data):
        raise AssertionError("must not run")

    result = _run(_check(boom, gates=(Gate.ENTRA_P2,)), {"authorization_policy": {}}, {Gate.ENTRA_P1})
    assert (result.status, result.reason) == (Status.NOT_APPLICABLE, "license:entra_p2")


def test_unreadable_collection_is_error_with_the_collector_reason():
    error = InsufficientPermission(403, "Authorization_RequestDenied", "denied", "/policies/authorizationPolicy",
                                   permission="Policy.Read.All")
    result = _run(_check(lambda d: Verdict.passed()), {"authorization_policy": error})
    assert result.status is Status.ERROR
    assert result.reason == error.reason
    assert result.evidence == {"collection": "authorization_policy", "detail": str(error)}


def test_malformed_data_is_an_error_never_a_pass():
    result = _run(_check(lambda d: Verdict.passed() if d["authorization_policy"]["x"] else None),
                  {"authorization_policy": {}})
    assert (result.status, result.reason) == (Status.ERROR, "malformed_data")


def test_unknown_licences_make_gated_checks_error():
    result = run_checks([_check(lambda d: Verdict.passed(), gates=(Gate.INTUNE,))], {"authorization_policy": {}},
                        None, now=NOW, config=TenantConfig(), tenant_id="t")[0]
    assert result.status is Status.ERROR
    assert result.reason.startswith("licences_unknown")


def test_verdict_is_carried_over():
    result = _run(_check(lambda d: Verdict.failed({"a": 1}, ["x", "b"])), {"authorization_policy": {}})
    assert (result.status, result.evidence, result.affected) == (Status.FAIL, {"a": 1}, ["b", "x"])


def test_evidence_is_plain_json_whatever_the_check_returned():
    import json
    import math

    when = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    evidence = {"seen": when, "ids": {"b", "a"}, "ratio": math.nan, "name": "Ann\x00", "deep": [[[[1]]]]}
    result = _run(_check(lambda d: Verdict.failed(evidence, ["u\x00"])), {"authorization_policy": {}})

    assert result.evidence["seen"] == "2026-01-02T03:04:00+00:00"
    assert result.evidence["ids"] == ["a", "b"]
    assert result.evidence["ratio"] is None
    assert result.evidence["name"] == "Ann\ufffd"
    assert result.affected == ["u\ufffd"]
    assert json.loads(json.dumps(result.evidence, allow_nan=False)) == result.evidence


def test_evidence_nested_past_the_depth_cap_is_cut_not_fatal():
    from scanner._decode import MAX_EVIDENCE_DEPTH

    deep: list = []
    for _ in range(MAX_EVIDENCE_DEPTH * 4):
        deep = [deep]
    result = _run(_check(lambda d: Verdict.failed({"deep": deep})), {"authorization_policy": {}})

    text = str(result.evidence)
    assert "[nested too deep]" in text
    assert text.count("[") <= MAX_EVIDENCE_DEPTH + 1


def test_a_collection_that_needs_a_licence_reads_empty_where_the_tenant_lacks_it():
    # role_eligibility_instances exists only with Entra ID P2: on a P1 tenant nobody can be eligible.
    check = _check(lambda data: Verdict.passed({"eligible": len(data["role_eligibility_instances"])}),
                   collections=("role_eligibility_instances",))
    without_p2 = _run(check, {}, {Gate.ENTRA_P1})
    assert (without_p2.status, without_p2.evidence) == (Status.PASS, {"eligible": 0})
    with_p2 = _run(check, {"role_eligibility_instances": [{"id": "e"}]}, {Gate.ENTRA_P1, Gate.ENTRA_P2})
    assert with_p2.evidence == {"eligible": 1}
    # With P2 the data must have been read: missing is an error, never an empty pass.
    assert _run(check, {}, {Gate.ENTRA_P2}).reason == "not_collected:role_eligibility_instances"
    unknown = run_checks([check], {}, None, now=NOW, config=TenantConfig(), tenant_id="t")[0]
    assert (unknown.status, unknown.reason) == (Status.ERROR, "licences_unknown:unknown")
