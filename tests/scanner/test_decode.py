"""The strict decoder: msgspec's fast reading and the standard library's judging must agree.

Every body below is decided by the rule in ``scanner._decode`` (what PostgreSQL's jsonb can store),
not by what either decoder happens to do: whichever path reads a body, the answer is the rule's.
"""

from __future__ import annotations

import pytest

from scanner._decode import MALFORMED, UNPARSEABLE, decode_body, is_clean, json_safe

STORABLE = [
    (b'{"value": [{"id": "u1", "n": 1, "f": 2.5, "t": true, "z": null}]}',
     {"value": [{"id": "u1", "n": 1, "f": 2.5, "t": True, "z": None}]}),
    (b"null", None),
    (b'  [1, -0, 1.0e2]  ', [1, 0, 100.0]),
    (b"[123456789012345678901234567890]", [123456789012345678901234567890]),
    (b'{"a": 1, "a": 2}', {"a": 2}),
    (b'["C:\\\\u0000"]', ["C:\\u0000"]),
    (b'["\\ud83d\\ude00"]', ["\U0001F600"]),
    # The standard library reads UTF-16 and a UTF-8 byte-order mark; msgspec does not: the slow path does.
    ('{"a": "\u00e9"}'.encode("utf-16"), {"a": "\u00e9"}),
    (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
]
#: Deep enough for the walk that judges a body the standard library read (msgspec refused the surrogate).
_DEEP_SURROGATE = b'{"value": [' + b"[" * 400 + b'"\\ud800"' + b"]" * 400 + b"]}"
NOT_STORABLE = [_DEEP_SURROGATE,
                b"NaN", b'{"a": [Infinity]}', b"[-Infinity]", b"[1e400]", b'["Ann\\u0000"]', b'["\\ud800"]',
                b'{"a": "\\udfff x"}', b"[" * 50_000 + b"]" * 50_000]
NOT_JSON = [b"<html>", b"[1] x", b'["\xff"]', b"{", b"'a'"]


@pytest.mark.parametrize(("content", "expected"), STORABLE)
def test_storable_json_reads_to_its_values(content: bytes, expected: object):
    assert decode_body(content) == expected


@pytest.mark.parametrize("content", NOT_STORABLE)
def test_json_jsonb_would_refuse_is_malformed(content: bytes):
    assert decode_body(content) is MALFORMED


@pytest.mark.parametrize("content", NOT_JSON)
def test_what_is_not_json_is_unparseable(content: bytes):
    assert decode_body(content) is UNPARSEABLE


@pytest.mark.parametrize("content", [b"", b"  \n"])
def test_an_empty_body_is_none(content: bytes):
    assert decode_body(content) is None


def test_is_clean_finds_what_jsonb_refuses_at_any_depth():
    assert is_clean({"a": [{"b": "x\U0001F600"}], "c": 1.5})
    assert not is_clean({"a": [{"b": "x\ud800"}]})
    assert not is_clean({"a\x00": 1})
    assert not is_clean([[float("inf")]])


def test_json_safe_evidence_stores_in_jsonb_text():
    safe = json_safe({"name": "Ann\ud800\x00", "score": float("nan")})
    assert safe == {"name": "Ann\ufffd\ufffd", "score": None}
