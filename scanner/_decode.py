"""Decode Graph and Exchange bodies strictly, and make evidence safe to store.

Python's ``json`` module is lenient where our consumers are not: it accepts ``NaN`` and
``Infinity`` (not JSON: PostgreSQL's ``jsonb`` refuses them), passes the escaped NUL character
``\\u0000`` (``jsonb`` refuses it too), and raises ``RecursionError``, not ``ValueError``, on deep
nesting. Any of these in one page used to fail the whole scan at the moment it was stored. Here:

- :func:`decode_body` returns the parsed body, :data:`UNPARSEABLE` for what is not JSON, or
  :data:`MALFORMED` for JSON holding those values: the collection then errors with
  ``malformed_data`` (``scanner._errors.MalformedData``) and the other collections carry on.
- :func:`json_safe` turns any evidence a check returns into plain JSON values (datetimes become ISO
  8601 strings, sets sorted lists, non-finite floats ``None``, NUL characters U+FFFD, nesting past
  :data:`MAX_EVIDENCE_DEPTH` a marker), so a check's evidence can never fail the scan's record.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

__all__ = ["MALFORMED", "MAX_EVIDENCE_DEPTH", "UNPARSEABLE", "decode_body", "decode_lenient", "is_clean", "json_safe"]

#: Stands for a body that was present but not JSON.
UNPARSEABLE: Any = object()
#: Stands for a JSON body holding values no consumer accepts (NaN, Infinity, NUL, absurd nesting).
MALFORMED: Any = object()
#: Evidence nested deeper than this is cut (Graph objects nest a handful of levels).
MAX_EVIDENCE_DEPTH = 24

# An escaped NUL that is not itself an escaped backslash followed by "u0000".
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# What jsonb cannot hold in a string: NUL, and a surrogate not paired (json reads "\\ud800" as one).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_CUT = "[nested too deep]"
_fast_decode = msgspec.json.Decoder().decode


class _NonFinite(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    # 1e400 is valid JSON that Python reads as infinity, which jsonb refuses as it refuses NaN.
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def decode_body(content: bytes) -> Any:
    """The JSON value of ``content``: ``None`` when empty, :data:`UNPARSEABLE` or :data:`MALFORMED`."""
    try:
        # msgspec refuses everything the standard library would need judging for (NaN, Infinity,
        # numbers out of range, lone surrogates, other encodings than UTF-8, deep nesting, emptiness)
        # and reads what it accepts to the same values, about twice as fast: a refusal is judged below.
        body = _fast_decode(content)
    except (msgspec.DecodeError, RecursionError):
        return _judge(content)
    if b"\\u0000" in content and _ESCAPED_NUL.search(content):
        return MALFORMED
    return body


def _judge(content: bytes) -> Any:
    if not content.strip():
        return None
    try:
        body = json.loads(content, parse_constant=_reject_constant, parse_float=_finite_float)
    except (_NonFinite, RecursionError):
        return MALFORMED
    except (UnicodeDecodeError, ValueError):
        return UNPARSEABLE
    try:
        return body if is_clean(body) else MALFORMED
    except RecursionError:  # deep enough for json, too deep for the walk: nothing we would keep anyway
        return MALFORMED


def decode_lenient(content: bytes) -> Any:
    """Like :func:`decode_body`, but accepting NaN and NUL, for a ``$batch`` reply whose sub-responses are
    then judged one by one with :func:`is_clean` (one bad sub-response must not spoil its neighbours)."""
    try:
        return json.loads(content)
    except RecursionError:
        return MALFORMED
    except (UnicodeDecodeError, ValueError):
        return UNPARSEABLE


def is_clean(value: Any, _depth: int = 0) -> bool:
    """False when ``value`` holds a non-finite float, a NUL character or a lone UTF-16 surrogate (what
    :func:`decode_body` refuses)."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is None
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(is_clean(k) and is_clean(v, _depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(is_clean(v, _depth + 1) for v in value)
    return True


def json_safe(value: Any, _depth: int = 0) -> Any:
    """``value`` as plain JSON data that PostgreSQL's ``jsonb`` accepts (see the module docstring)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if _depth >= MAX_EVIDENCE_DEPTH:
        return _CUT
    if isinstance(value, Mapping):
        return {json_safe(str(k), _depth + 1): json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, _depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v, _depth + 1) for v in value), key=repr)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return json_safe(value.value, _depth + 1)
    if isinstance(value, uuid.UUID):
        return str(value)
    return json_safe(str(value), _depth + 1)
