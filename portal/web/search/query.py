"""The search a request asks for: the box's query, with the form controls' filters added as terms.

The form's controls (status, severity, area, tag, tier, state) are the query language's filters, so
a search built with them can be bookmarked, saved, edited in the box and sent to the API as text.
"""

from __future__ import annotations

from collections.abc import Mapping

from portal.services.search import MAX_QUERY

__all__ = ["CONTROLS", "page_number", "search_text"]

#: Form controls, each the query key it stands for.
CONTROLS = ("status", "severity", "area", "tag", "tier", "state")


def _quoted(value: str) -> str:
    value = value.replace('"', "").strip()
    return f'"{value}"' if any(ch.isspace() or ch == "," for ch in value) else value


def search_text(params: Mapping[str, str]) -> str:
    """``q`` and one ``key:value`` term per form control that has a value."""
    parts = [(params.get("q") or "").strip()]
    parts += [f"{key}:{_quoted(params[key])}" for key in CONTROLS if (params.get(key) or "").strip()]
    return " ".join(p for p in parts if p)[: MAX_QUERY + 1]  # one past the limit: the parser says it is too long


def page_number(params: Mapping[str, str]) -> int:
    try:
        return max(1, min(int(params.get("page") or 1), 100_000))
    except ValueError:
        return 1
