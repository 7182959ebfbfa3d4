"""OData query options as Graph v1.0 applies them: $select, $top, $expand, $filter, $skiptoken.

Decisions, and why:
- Only those five options are understood; any other ``$`` option (``$skip``, ``$search``,
  ``$orderby``, ``$count``) is refused with 400 rather than ignored, so a client never believes an
  option worked when the simulator skipped it. Options without ``$`` (``api-version``) are ignored.
- ``$filter`` supports comparisons (``eq``, ``ne``, ``ge``, ``le``) of a property path (``a/b``) with
  a string, number, boolean or null, joined by ``and``/``or`` (``and`` binds tighter): the forms the
  scanner sends, and the common ones. String comparison ignores case, as directory filters do; ``ge``
  and ``le`` order strings by their lower-cased code points (Graph documents the operators, not the
  collation: the scanner relies on neither, see ``scanner.collections.upn_partitions``) and never
  match a null or missing value. ``ge``/``le`` are accepted only on the properties where Graph's
  resource pages document them (:data:`ORDERED_PROPERTIES`); elsewhere they are refused with 400.
- A filter on ``signInActivity`` cannot be combined with another property (the user resource:
  "Supports $filter (eq, ne, not, ge, le) but not with any other filterable properties").
- ``$select`` keeps ``id`` and ``@odata.type`` (polymorphic collections); a selected property the
  stored object lacks comes back as null, except on polymorphic items, where Graph leaves out
  properties the item's type does not have (a group has no ``userPrincipalName``).
- Navigation properties are dropped unless ``$expand`` names them; ``$expand`` may nest
  (``policy($expand=rules)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["ODataError", "Query", "parse_query", "project"]

SUPPORTED_OPTIONS = frozenset({"$select", "$top", "$expand", "$filter", "$skiptoken"})
#: Properties Graph documents ``ge``/``le`` for, among those the simulator serves (user resource, v1.0).
ORDERED_PROPERTIES = frozenset({"userPrincipalName", "displayName"})
_OPERATORS = ("eq", "ne", "ge", "le")

Expand = dict[str, "Expand"]


class ODataError(Exception):
    """A query the service refuses; becomes a Graph error reply."""

    def __init__(self, message: str, code: str = "BadRequest", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass
class Query:
    """Parsed query options. ``pairs`` keeps every original option except ``$skiptoken``, in order."""

    select: list[str] | None = None
    top: int | None = None
    expand: Expand = field(default_factory=dict)
    filter: Callable[[Mapping[str, Any]], bool] | None = None
    filter_props: frozenset[str] = frozenset()
    filter_text: str | None = None
    skiptoken: str | None = None
    pairs: list[tuple[str, str]] = field(default_factory=list)


def parse_query(query_string: str) -> Query:
    """Parse a raw (still URL-encoded) query string.

    Raises:
        ODataError: an unsupported or repeated option, or a malformed value.
    """
    query = Query()
    seen: set[str] = set()
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        name = key.lower()
        if not name.startswith("$"):
            query.pairs.append((key, value))
            continue
        if name not in SUPPORTED_OPTIONS:
            raise ODataError(f"Query option '{key}' is not supported on this resource.", "Request_UnsupportedQuery")
        if name in seen:
            raise ODataError(f"Query option '{key}' was specified more than once, "
                             "but it must be specified at most once.")
        seen.add(name)
        if name == "$skiptoken":
            query.skiptoken = value
            continue
        query.pairs.append((key, value))
        if name == "$select":
            query.select = [p.strip() for p in value.split(",") if p.strip()]
            if not query.select:
                raise ODataError("Invalid $select: at least one property must be named.")
        elif name == "$top":
            if not value.isdigit() or int(value) < 1:
                raise ODataError(f"Invalid value '{value}' for $top: a positive integer is required.")
            query.top = int(value)
        elif name == "$expand":
            query.expand = _parse_expand(value)
        else:
            query.filter, query.filter_props = _compile_filter(value)
            query.filter_text = value
    return query


def _split_top_level(text: str, sep: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ODataError(f"Unbalanced parentheses in '{text}'.")
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth:
        raise ODataError(f"Unbalanced parentheses in '{text}'.")
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _parse_expand(value: str) -> Expand:
    result: Expand = {}
    for item in _split_top_level(value, ","):
        m = re.fullmatch(r"([A-Za-z_][\w]*)\s*(?:\((.*)\))?", item, re.DOTALL)
        if not m:
            raise ODataError(f"Invalid $expand item '{item}'.")
        nested: Expand = {}
        for option in _split_top_level(m.group(2) or "", ";"):
            key, _, inner = option.partition("=")
            if key.strip().lower() != "$expand":
                raise ODataError(f"Nested query option '{key.strip()}' is not supported in $expand.")
            nested.update(_parse_expand(inner))
        result[m.group(1)] = nested
    return result


_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)(?![\w-])|(?P<word>[A-Za-z_@][\w/.@-]*))")


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise ODataError(f"Invalid filter clause: unexpected text at '{text[pos:]}'.")
        pos = m.end()
        if m.group("str") is not None:
            tokens.append(("lit", m.group("str")[1:-1].replace("''", "'")))
        elif m.group("num") is not None:
            num = m.group("num")
            tokens.append(("lit", float(num) if "." in num else int(num)))
        else:
            tokens.append(("word", m.group("word")))
    return tokens


_LITERAL_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None}


def _compile_filter(text: str) -> tuple[Callable[[Mapping[str, Any]], bool], frozenset[str]]:
    tokens = _tokens(text)
    alternatives: list[list[tuple[list[str], str, Any]]] = [[]]
    props: set[str] = set()
    i = 0
    while True:
        if i + 3 > len(tokens):
            raise ODataError(f"Invalid filter clause: '{text}'.")
        (k1, path), (k2, op), (k3, lit) = tokens[i], tokens[i + 1], tokens[i + 2]
        if k1 != "word" or k2 != "word" or op.lower() not in _OPERATORS:
            raise ODataError("Invalid filter clause: only 'property eq|ne|ge|le value' comparisons are supported "
                             f"in '{text}'.")
        if op.lower() in ("ge", "le") and path.split("/")[0] not in ORDERED_PROPERTIES:
            raise ODataError(f"Unsupported filter operator '{op}' on property '{path}'.", "Request_UnsupportedQuery")
        if k3 == "word":
            if lit.lower() not in _LITERAL_WORDS:
                raise ODataError(f"Invalid filter clause: '{lit}' is not a literal.")
            lit = _LITERAL_WORDS[lit.lower()]
        alternatives[-1].append((path.split("/"), op.lower(), lit))
        props.add(path.split("/")[0])
        i += 3
        if i == len(tokens):
            break
        joiner = tokens[i]
        if joiner[0] != "word" or joiner[1].lower() not in ("and", "or"):
            raise ODataError(f"Invalid filter clause: expected 'and' or 'or' in '{text}'.")
        if joiner[1].lower() == "or":
            alternatives.append([])
        i += 1

    if "signInActivity" in props and len(props) > 1:
        raise ODataError("Filtering on signInActivity cannot be combined with other properties.",
                         "Request_UnsupportedQuery")

    def matches(item: Mapping[str, Any]) -> bool:
        return any(all(_compare(item, path, op, lit) for path, op, lit in clauses) for clauses in alternatives)

    return matches, frozenset(props)


def _compare(item: Mapping[str, Any], path: list[str], op: str, literal: Any) -> bool:
    value: Any = item
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    if op in ("ge", "le"):
        if value is None or literal is None or isinstance(value, bool) or isinstance(literal, bool):
            return False
        if isinstance(value, str) and isinstance(literal, str):
            value, literal = value.lower(), literal.lower()
        elif isinstance(value, str) or isinstance(literal, str):
            return False
        return value >= literal if op == "ge" else value <= literal
    if isinstance(value, str) and isinstance(literal, str):
        equal = value.lower() == literal.lower()
    elif isinstance(literal, bool) or isinstance(value, bool):
        equal = value is literal
    else:
        equal = value == literal
    return equal if op == "eq" else not equal


def project(item: Mapping[str, Any], select: list[str] | None, expand: Expand,
            nav: Mapping[str, Any], default_select: tuple[str, ...] | None = None) -> dict[str, Any]:
    """One object as Graph would return it for these options (a new dict; ``item`` is not changed)."""
    chosen = select if select is not None else default_select
    if chosen is None:
        out = {k: v for k, v in item.items() if k not in nav}
    else:
        out = {}
        polymorphic = "@odata.type" in item
        if polymorphic:
            out["@odata.type"] = item["@odata.type"]
        if "id" in item:
            out["id"] = item["id"]
        for name in chosen:
            if name in nav:
                continue
            if name in item:
                out[name] = item[name]
            elif not polymorphic:
                out[name] = None
    for name, nested in expand.items():
        if name not in item:
            continue
        value = item[name]
        sub_nav = nav.get(name) or {}
        if isinstance(value, Mapping):
            out[name] = project(value, None, nested, sub_nav)
        elif isinstance(value, list):
            out[name] = [project(v, None, nested, sub_nav) if isinstance(v, Mapping) else v for v in value]
        else:
            out[name] = value
    return out
