"""Helpers for check tests: real Graph bodies from tests/fixtures/graph and a one-check runner."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scanner.checks import Collected, TenantConfig, Verdict

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "graph"

#: Fixed clock for checks that compare dates.
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def graph_body(name: str) -> Any:
    """A fresh copy of the response body of ``tests/fixtures/graph/<name>.json``."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text())["response"])


def graph_value(name: str) -> Any:
    """The ``value`` list of a collection fixture (what the scanner hands a check)."""
    return graph_body(name)["value"]


def run(module: ModuleType, config: TenantConfig | None = None, now: dt.datetime = NOW, **data: Any) -> Verdict:
    """Evaluate one check module on the given collections, as the runner would."""
    collected = Collected(data, allowed=module.META.collections, now=now, config=config, tenant_id="tenant-under-test")
    return module.evaluate(collected)


@pytest.fixture
def body():
    return graph_body
