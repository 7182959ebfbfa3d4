"""The sign-in list's UPN ranges cover every user, whatever the service's collation, and merge back
to exactly the whole list (or to nothing, so the list is read whole)."""

from __future__ import annotations

import random
import re
import string

import pytest

from scanner._errors import MalformedData
from scanner._plan import _merge_partitions
from scanner.collections import PAGES_PER_PARTITION, SIGN_IN_PAGE, upn_partitions
from sim.graph._odata import parse_query

_UPN_CHARS = string.ascii_letters + string.digits + "._-'!#^~"


def _users(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    users = []
    for n in range(count):
        local = rng.choice(string.ascii_letters + string.digits) + "".join(
            rng.choice(_UPN_CHARS) for _ in range(rng.randint(0, 12)))
        if n % 7 == 0:
            local = f"{local}_fabrikam.com#EXT#"
        users.append({"id": f"id-{n}", "userPrincipalName": f"{local}@contoso.onmicrosoft.com"})
    return users


def _ranges_as_graph_reads_them(expression: str):
    """The range as a predicate, compiled by the simulator's $filter (Graph's documented ge/le)."""
    return parse_query(f"$filter={expression}").filter


def test_a_tenant_that_fits_in_a_few_pages_is_read_whole():
    assert upn_partitions(_users(SIGN_IN_PAGE * PAGES_PER_PARTITION, seed=1)) == []
    assert upn_partitions([]) == []


@pytest.mark.parametrize("seed", range(5))
def test_every_user_is_in_a_range_and_the_ranges_are_even(seed: int):
    users = _users(10_000, seed)
    ranges = upn_partitions(users)
    assert 2 <= len(ranges) <= 16
    predicates = [_ranges_as_graph_reads_them(r) for r in ranges]
    sizes = [sum(1 for u in users if p(u)) for p in predicates]
    for user in users:
        assert any(p(user) for p in predicates), user
    # About PAGES_PER_PARTITION pages each: no range holds more than twice its share.
    assert max(sizes) <= 2 * len(users) / len(ranges)


@pytest.mark.parametrize("seed", range(3))
def test_the_ranges_cover_in_a_collation_that_ignores_punctuation(seed: int):
    # A linguistic collation compares letters and digits first: the boundaries (letters and digits only)
    # keep their order in it, so the ranges still cover every user.
    users = _users(5_000, seed)
    ranges = upn_partitions(users)
    bounds = [re.findall(r"'([^']*)'", r) for r in ranges]

    def key(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    def within(upn: str, limits: list[str], expression: str) -> bool:
        if expression.startswith("userPrincipalName le"):
            return key(upn) <= key(limits[0])
        if " and " in expression:
            return key(limits[0]) <= key(upn) <= key(limits[1])
        return key(upn) >= key(limits[0])

    for user in users:
        assert any(within(user["userPrincipalName"], b, r) for b, r in zip(bounds, ranges, strict=True)), user


def test_the_merge_is_the_whole_list_each_object_once_in_the_sources_order():
    source = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    parts = [[{"id": "c", "n": 3}, {"id": "a", "n": 1}], [{"id": "a", "n": 1}, {"id": "b", "n": 2}],
             [{"id": "new", "n": 4}]]
    assert _merge_partitions(parts, source) == [{"id": "a", "n": 1}, {"id": "b", "n": 2}, {"id": "c", "n": 3},
                                                 {"id": "new", "n": 4}]


def test_a_merge_that_misses_a_user_or_a_failed_range_reads_the_list_whole():
    source = [{"id": "a"}, {"id": "b"}]
    assert _merge_partitions([[{"id": "a"}], []], source) is None
    assert _merge_partitions([[{"id": "a"}], MalformedData(None, None, "x", "/users")], source) is None
    assert _merge_partitions([[{"id": "a"}, "not an object"], [{"id": "b"}]], source) is None
