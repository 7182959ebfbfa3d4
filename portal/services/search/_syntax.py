"""The fleet search language: one line an analyst types, read into terms the query builder understands.

::

    smtp auth status:fail tag:gold evidence.SmtpClientAuthenticationDisabled=false -customer:contoso

- Terms are separated by spaces and all must hold (AND). A term's values separated by commas are
  alternatives (OR): ``status:fail,error``. ``-`` before a term negates it.
- ``key:value`` filters: ``check`` (an id, ``*`` as a wildcard: ``check:exo.smtp_auth.*``), ``ref``
  (a SCuBA or CIS id: ``MS.EXO.5.1v1``, ``MS.EXO.5.1`` for any version, ``6.5.4`` for a CIS number),
  ``area``, ``severity``, ``status`` (``pass``, ``fail``, ``not_applicable``, ``error``, ``accepted``),
  ``customer`` (part of the name), ``tag``, ``tier`` (the service tier), ``access`` (the access tier),
  ``state`` (the connection state), ``affected`` (a user, mailbox, app or domain the finding names;
  ``*`` as a wildcard).
- ``evidence.FIELD=VALUE`` and ``evidence.FIELD!=VALUE`` compare one field of the evidence (a dotted
  path for nested objects). ``true``, ``false``, ``null`` and numbers are JSON values; anything else,
  or anything in double quotes, is text.
- ``age>7d`` / ``age<12h``: how old the finding's data is (``m``, ``h``, ``d``, ``w``).
- Anything else is text that must appear in the check's title or id (``"smtp auth"`` as a phrase).

Decisions:
- An unknown key, value or unit is an error that says what is allowed, never silently ignored: a
  search that quietly drops a filter answers a different question than the one asked.
- Keys and enumerated values are case-insensitive; evidence field names are not (they are the
  names Microsoft uses, and the evidence keeps them verbatim).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from dataclasses import dataclass
from typing import Any

from portal.db.models import AccessTier, ConnectionState
from portal.services.errors import InvalidInput

__all__ = ["MAX_QUERY", "SEVERITIES", "STATUSES", "Field", "SearchSyntaxError", "Term", "parse"]

#: Longest query accepted (characters).
MAX_QUERY = 1000
#: Statuses a search can ask for: the scanner's four and ``accepted`` (failing, with a standing acceptance).
STATUSES = ("pass", "fail", "not_applicable", "error", "accepted")
SEVERITIES = ("critical", "high", "medium", "low", "info")
_UNITS = {"m": dt.timedelta(minutes=1), "h": dt.timedelta(hours=1), "d": dt.timedelta(days=1),
          "w": dt.timedelta(weeks=1)}
_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')
_EVIDENCE = re.compile(r"^evidence\.([A-Za-z0-9_@$.\-]+?)(!=|=)(.*)$", re.DOTALL)
_AGE = re.compile(r"^age([<>])(\d{1,6})([a-z])$")
_KEY_VALUE = re.compile(r"^([A-Za-z_]+):(.*)$", re.DOTALL)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class SearchSyntaxError(InvalidInput):
    """The query cannot be read; the message says which term and what would be understood."""


class Field(enum.StrEnum):
    CHECK = "check"
    REF = "ref"
    AREA = "area"
    SEVERITY = "severity"
    STATUS = "status"
    CUSTOMER = "customer"
    TAG = "tag"
    TIER = "tier"
    ACCESS = "access"
    STATE = "state"
    AFFECTED = "affected"
    EVIDENCE = "evidence"
    AGE = "age"
    TEXT = "text"


#: Keys a person may type, and the field each means.
_KEYS = {f.value: f for f in Field if f not in (Field.EVIDENCE, Field.AGE, Field.TEXT)}
_CHOICES: dict[Field, tuple[str, ...]] = {
    Field.STATUS: STATUSES,
    Field.SEVERITY: SEVERITIES,
    Field.ACCESS: tuple(t.value for t in AccessTier),
    Field.STATE: tuple(s.value for s in ConnectionState),
}


@dataclass(frozen=True)
class Term:
    """One condition. ``values`` are alternatives; ``path`` and ``value`` are for evidence terms,
    ``older`` and ``age`` for age terms."""

    field: Field
    values: tuple[str, ...] = ()
    negated: bool = False
    path: tuple[str, ...] = ()
    value: Any = None
    older: bool = True
    age: dt.timedelta | None = None

    def evidence_object(self) -> dict[str, Any]:
        """The JSON object an evidence term looks for (``{"a": {"b": value}}`` for ``evidence.a.b=value``)."""
        found: Any = self.value
        for key in reversed(self.path):
            found = {key: found}
        return found  # type: ignore[no-any-return]


def _unquote(text: str) -> tuple[str, bool]:
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1], True
    return text.replace('"', ""), False


def _json_value(text: str) -> Any:
    raw, quoted = _unquote(text)
    if quoted:
        return raw
    lowered = raw.lower()
    if lowered in ("true", "false", "null"):
        return json.loads(lowered)
    if _NUMBER.match(raw):
        return json.loads(raw)
    return raw


def _values(field: Field, raw: str, token: str) -> tuple[str, ...]:
    text, _ = _unquote(raw)
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if not values:
        raise SearchSyntaxError(f"'{token}' has no value: write {field.value}:VALUE")
    choices = _CHOICES.get(field)
    if choices is not None:
        values = tuple(v.lower() for v in values)
        unknown = [v for v in values if v not in choices]
        if unknown:
            raise SearchSyntaxError(f"{field.value} cannot be '{unknown[0]}': use one of {', '.join(choices)}")
    return values


def _term(token: str) -> Term:
    negated = token.startswith("-") and len(token) > 1
    body = token[1:] if negated else token
    evidence = _EVIDENCE.match(body)
    if evidence:
        path, op, raw = evidence.groups()
        if not raw:
            raise SearchSyntaxError(f"'{token}' compares with nothing: write evidence.FIELD=VALUE")
        keys = tuple(path.split("."))
        if any(not k for k in keys):
            raise SearchSyntaxError(f"'{token}' has an empty field name")
        return Term(Field.EVIDENCE, path=keys, value=_json_value(raw), negated=negated != (op == "!="))
    if body.lower().startswith("age"):
        age = _AGE.match(body.lower())
        if not age or age.group(3) not in _UNITS:
            raise SearchSyntaxError(f"'{token}' is not an age: write age>7d or age<12h (units m, h, d, w)")
        sign, amount, unit = age.groups()
        return Term(Field.AGE, older=sign == ">", age=int(amount) * _UNITS[unit], negated=negated)
    key_value = _KEY_VALUE.match(body)
    if key_value and not body.startswith('"'):
        key, raw = key_value.groups()
        field = _KEYS.get(key.lower())
        if field is None:
            raise SearchSyntaxError(f"unknown filter '{key}:': use one of {', '.join(sorted(_KEYS))}, "
                                    "evidence.FIELD=VALUE or age>7d")
        return Term(field, _values(field, raw, token), negated=negated)
    text, _ = _unquote(body)
    if not text.strip():
        raise SearchSyntaxError(f"'{token}' is empty")
    return Term(Field.TEXT, (text.strip(),), negated=negated)


def parse(query: str) -> tuple[Term, ...]:
    """The terms of ``query`` (an empty query has none: it asks for everything).

    Raises:
        SearchSyntaxError: a term cannot be read, or the query is too long.
    """
    query = query.replace("\x00", "")  # PostgreSQL text holds no NUL: a NUL can match nothing
    if len(query) > MAX_QUERY:
        raise SearchSyntaxError(f"the query is longer than {MAX_QUERY} characters")
    if query.count('"') % 2:
        raise SearchSyntaxError('a double quote (") is not closed')
    return tuple(_term(token) for token in _TOKEN.findall(query))
