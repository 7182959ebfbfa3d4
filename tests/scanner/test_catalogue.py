"""Catalogue-wide rules: every check is valid, tested, and every collection is used."""

import dataclasses
import re
from pathlib import Path

import pytest

from scanner.checks import CatalogueError, Gate, _validate, catalogue, get_check
from scanner.collections import ALWAYS, COLLECTIONS, DIRECTORY

TESTS = Path(__file__).resolve().parent / "checks"


def test_catalogue_has_at_least_sixty_checks_with_unique_ids():
    ids = [c.id for c in catalogue()]
    assert len(ids) >= 60
    assert len(ids) == len(set(ids))


def test_every_check_module_is_imported_by_a_test():
    sources = "\n".join(p.read_text() for p in TESTS.rglob("test_*.py"))
    untested = []
    for check in catalogue():
        package, _, leaf = f"scanner.checks.{check.id}".rpartition(".")
        # One line, or a parenthesised list (as ruff's isort writes a long one).
        if not re.search(rf"from {re.escape(package)} import (\([^)]*|[^\n]*)\b{leaf}\b", sources) and \
                f"import scanner.checks.{check.id}" not in sources:
            untested.append(check.id)
    assert untested == []


def test_every_collection_is_read_by_some_check():
    # The directory (domains, groups, users) is read for billing too, whatever the checks need.
    used = {name for c in catalogue() for name in c.meta.collections} | set(ALWAYS) | set(DIRECTORY)
    assert sorted(set(COLLECTIONS) - used) == []


def test_scuba_policies_are_referenced_verbatim():
    scuba = {ref for c in catalogue() for ref in c.meta.references if ref.startswith("MS.")}
    assert {"MS.AAD.1.1v1", "MS.AAD.3.2v2", "MS.EXO.5.1v1"} <= scuba


def test_licence_gated_areas_are_gated():
    for check in catalogue():
        if check.id.startswith(("entra.ca.", "entra.mfa.", "users.")):
            assert Gate.ENTRA_P1 in check.meta.gates, check.id
        if check.id.startswith("entra.pim."):
            assert Gate.ENTRA_P2 in check.meta.gates, check.id
        if check.id.startswith("exo."):
            assert Gate.EXCHANGE in check.meta.gates, check.id


def test_a_known_difference_from_scubagear_says_which_way_and_why():
    meta = get_check("exo.spf_published").meta
    assert meta.versus_scuba and meta.versus_scuba.startswith("stricter: ")
    lenient = dataclasses.replace(meta, versus_scuba="more lenient: a configurable range")
    assert _validate("exo.spf_published", lenient, lambda data: None).meta.versus_scuba == lenient.versus_scuba
    for bad in ("lenient", "stricter"):  # no direction word with its reason
        with pytest.raises(CatalogueError, match="versus_scuba"):
            _validate("exo.spf_published", dataclasses.replace(meta, versus_scuba=bad), lambda data: None)
    with pytest.raises(CatalogueError, match="needs a SCuBA reference"):
        _validate("exo.spf_published", dataclasses.replace(meta, references=("CIS M365 v7.0 2.1.8",)),
                  lambda data: None)
