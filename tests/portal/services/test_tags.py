"""Tags are read one way everywhere: an analyst's "East" must match a customer's "east "."""

from __future__ import annotations

import pytest

from portal.services.customers import MAX_TAG_LENGTH, MAX_TAGS, parse_tags
from portal.services.errors import InvalidInput


@pytest.mark.parametrize(("text", "expected"), [
    ("", ()),
    (" , ,", ()),
    ("East", ("east",)),
    ("gold,  East ,east, EAST", ("east", "gold")),
    ("north   america, R&D / lab", ("north america", "r&d / lab")),
    ("Zürich", ("zürich",)),
    ("a\tb", ("a b",)),  # whitespace of any kind is one space
])
def test_tags_are_trimmed_lower_cased_and_deduplicated(text: str, expected: tuple[str, ...]) -> None:
    assert parse_tags(text) == expected


@pytest.mark.parametrize("text", [
    ",".join(f"t{n}" for n in range(MAX_TAGS + 1)),
    "x" * (MAX_TAG_LENGTH + 1),
    "east\x00",
    "gold\u202e",  # a right-to-left override would make one tag look like another
    "<script>",
    "=cmd|' /C calc'!A0",
])
def test_what_is_not_a_label_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_tags(text)


def test_the_limits_themselves_are_allowed() -> None:
    assert len(parse_tags(",".join(f"t{n}" for n in range(MAX_TAGS)))) == MAX_TAGS
    assert parse_tags("x" * MAX_TAG_LENGTH) == ("x" * MAX_TAG_LENGTH,)
