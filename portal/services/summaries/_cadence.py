"""When summaries go out: pure functions of a cadence and a time.

Decision: every summary leaves at 07:00 UTC (before the working day in Europe, overnight in the
Americas), weekly on Mondays, monthly on the 1st, quarterly on 1 January, April, July and October. The
MSP's time zone is not modelled yet; a fixed hour in UTC is predictable and the page says it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

__all__ = ["CADENCES", "SEND_HOUR_UTC", "Cadence", "next_due", "period_of"]

Cadence = Literal["off", "weekly", "monthly", "quarterly"]
CADENCES: tuple[Cadence, ...] = get_args(Cadence)
SEND_HOUR_UTC = 7


def next_due(cadence: Cadence, after: dt.datetime) -> dt.datetime | None:
    """The first send time of ``cadence`` strictly after ``after`` (None: off)."""
    after = after.astimezone(dt.UTC)
    day = after.date()
    if cadence == "off":
        return None
    if cadence == "weekly":
        candidate = day + dt.timedelta(days=(7 - day.weekday()) % 7)  # this Monday, or the next
        step = dt.timedelta(days=7)
        while _at(candidate) <= after:
            candidate += step
        return _at(candidate)
    months = 1 if cadence == "monthly" else 3
    year, month = day.year, day.month
    if cadence == "quarterly":
        month -= (month - 1) % 3  # the first month of this quarter
    while True:
        candidate = dt.date(year, month, 1)
        if _at(candidate) > after:
            return _at(candidate)
        year, month = (year + 1, month + months - 12) if month + months > 12 else (year, month + months)


def period_of(cadence: Cadence, due: dt.datetime) -> str:
    """The period a summary due at ``due`` belongs to: ``2026-W49``, ``2026-12`` or ``2026-Q4``; one
    scheduled summary per customer and period."""
    day = due.astimezone(dt.UTC).date()
    if cadence == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if cadence == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if cadence == "monthly":
        return f"{day.year}-{day.month:02d}"
    raise ValueError("a summary that is off has no period")


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, SEND_HOUR_UTC, tzinfo=dt.UTC)
