"""The posture score: a severity-weighted share of passed applicable checks, and its coverage.

Decisions:
- Weights: critical 10, high 5, medium 3, low 1, info 0. A critical control failing should move
  the score more than several low-severity hygiene items passing; ratios follow Prowler's
  ThreatScore idea of weighting by risk, kept to one integer per severity so people can redo it.
- ``not_applicable`` (licence, feature absent) never counts: a tenant is not penalised for a
  control it cannot license (the top complaint about Maester and CIPP).
- ``error`` does not count toward the score either, but lowers ``coverage``: the weighted share of
  applicable checks that could be evaluated. A score with coverage 0.6 says "this is what we could
  see", and the portal shows both side by side.
- Grade bands: A >= 90, B >= 75, C >= 60, D >= 40, else F.
"""

from __future__ import annotations

from collections.abc import Iterable

from scanner._result import CheckResult
from scanner.checks._model import Severity, Status

__all__ = ["SEVERITY_WEIGHTS", "coverage", "coverage_of", "grade", "score", "score_of"]

#: Score weight per severity.
SEVERITY_WEIGHTS: dict[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 5,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
    Severity.INFO: 0,
}

_BANDS = ((90.0, "A"), (75.0, "B"), (60.0, "C"), (40.0, "D"))


def score(results: Iterable[CheckResult]) -> float | None:
    """0 to 100 (one decimal), or None when no weighted check could be evaluated."""
    return score_of((r.meta.severity, r.status) for r in results)


def score_of(verdicts: Iterable[tuple[Severity, Status]]) -> float | None:
    """The weighted share of passes among evaluated checks: :func:`score` of (severity, status) pairs,
    as the portal keeps them (per area, for instance)."""
    verdicts = list(verdicts)
    evaluated = sum(SEVERITY_WEIGHTS[sev] for sev, status in verdicts if status in (Status.PASS, Status.FAIL))
    if evaluated == 0:
        return None
    return round(100.0 * sum(SEVERITY_WEIGHTS[sev] for sev, status in verdicts if status is Status.PASS)
                 / evaluated, 1)


def coverage(results: Iterable[CheckResult]) -> float:
    """Weighted share (0..1, three decimals) of applicable checks that could be evaluated."""
    return coverage_of((r.meta.severity, r.status) for r in results)


def coverage_of(verdicts: Iterable[tuple[Severity, Status]]) -> float:
    """:func:`coverage` of (severity, status) pairs, as the portal keeps them."""
    verdicts = list(verdicts)
    applicable = sum(SEVERITY_WEIGHTS[sev] for sev, status in verdicts if status in (Status.PASS, Status.FAIL,
                                                                                      Status.ERROR))
    if applicable == 0:
        return 0.0
    return round(sum(SEVERITY_WEIGHTS[sev] for sev, status in verdicts if status in (Status.PASS, Status.FAIL))
                 / applicable, 3)


def grade(value: float | None) -> str | None:
    """The letter band for a score."""
    if value is None:
        return None
    for floor, letter in _BANDS:
        if value >= floor:
            return letter
    return "F"
