"""How long ago something happened, as people say it on a page: "12 min ago", "5 h ago", "3 d ago"."""

from __future__ import annotations

import datetime as dt

__all__ = ["ago"]


def ago(now: dt.datetime, at: dt.datetime | None) -> str:
    """ "12 min ago", "5 h ago" (under two days), "3 d ago", or "never" for no time."""
    if at is None:
        return "never"
    minutes = max(0, int((now - at).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} d ago"
