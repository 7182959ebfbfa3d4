"""What counts as a change of verdict: pure rules, shared by the recorder and the readers.

A check's *settled* verdict is its last ``pass`` or ``fail``. ``error`` (could not read) and
``not_applicable`` (the tenant lacks the licence) say nothing about the configuration, so they do not
move it: fail, error, fail is no change, and neither is pass, not applicable, pass.

Over a period the net change of a check is its settled verdict before the period against its settled
verdict at the end: a check that regressed on Tuesday and was fixed on Thursday has no net change
this week (the timeline still shows both).
"""

from __future__ import annotations

from portal.db.models import ChangeKind

__all__ = ["change_of", "net_change", "settle"]

_SETTLED = frozenset({"pass", "fail"})


def settle(settled: str | None, status: str) -> str | None:
    """The settled verdict once ``status`` is observed after ``settled``."""
    return status if status in _SETTLED else settled


def change_of(settled: str | None, previous: str | None, status: str) -> ChangeKind | None:
    """The change a scan makes when it observes ``status`` for a check.

    Args:
        settled: the check's settled verdict before this scan (None: it never had one).
        previous: the check's status in the scan before (None: first observation).
        status: what this scan observed.
    """
    if status == "fail":
        return None if settled == "fail" else ChangeKind.REGRESSED if settled == "pass" else ChangeKind.NEW
    if status == "pass":
        return ChangeKind.FIXED if settled == "fail" else None
    if status == "error" and previous is not None and previous != "error":
        return ChangeKind.UNREADABLE
    return None


def net_change(first_from: str | None, last_to: str | None) -> ChangeKind | None:
    """The net change over a period, from the settled verdict before it to the one at its end."""
    if last_to == "fail":
        return None if first_from == "fail" else ChangeKind.REGRESSED if first_from == "pass" else ChangeKind.NEW
    if last_to == "pass" and first_from == "fail":
        return ChangeKind.FIXED
    return None
