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


#: The emergency-access user and group that Contoso's MSP recorded for it: the ids every policy of the
#: ``ca-policies`` fixture excludes. Conditional Access checks accept only recorded ids, so the fixture's
#: tenant is judged as configured unless a test says otherwise (``TenantConfig()``: nothing recorded).
CONTOSO_BREAK_GLASS = frozenset({"5d6a3f1e-2b4c-4e8f-9a7d-0c1b2e3f4a5b", "b7e2c9d4-6a1f-4c3e-8d5b-2f9a0e1c7d46"})


#: The PIM for Groups collections of a tenant where no group holding a role is governed by PIM.
NO_PIM_GROUPS: dict[str, Any] = {"eligible_group_members": {}, "group_pim_eligibility": {},
                                 "pim_nested_group_members": {}}

#: What the PIM policy checks read about groups, for a tenant where no group holds a privileged role.
NO_ROLE_GROUPS: dict[str, Any] = {"role_assignments": [], "role_eligibility_instances": [], "group_pim_policies": {}}


def run(module: ModuleType, config: TenantConfig | None = None, now: dt.datetime = NOW, **data: Any) -> Verdict:
    """Evaluate one check module on the given collections, as the runner would (with Contoso's recorded
    break-glass accounts unless ``config`` says otherwise)."""
    config = config or TenantConfig(break_glass_ids=CONTOSO_BREAK_GLASS)
    collected = Collected(data, allowed=module.META.collections, now=now, config=config, tenant_id="tenant-under-test")
    return module.evaluate(collected)


@pytest.fixture
def body():
    return graph_body
