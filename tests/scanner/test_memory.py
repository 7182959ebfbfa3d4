"""The collector tuning scanning processes apply at start."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from scanner import tune_collector_for_scans
from scanner._memory import SCAN_GC_THRESHOLDS


@pytest.fixture
def thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_tuning_raises_the_first_generation(thresholds: None):
    gc.set_threshold(700, 10, 10)
    tune_collector_for_scans()
    assert gc.get_threshold() == SCAN_GC_THRESHOLDS


def test_tuning_never_lowers_a_higher_threshold(thresholds: None):
    gc.set_threshold(200_000, 10, 10)
    tune_collector_for_scans()
    assert gc.get_threshold() == (200_000, 10, 10)

