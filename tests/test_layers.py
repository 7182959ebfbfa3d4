"""Imports point down (DESIGN.md "Components"): each package may import only the packages below it.

Every ``import`` in every module counts, the ones inside functions too, so a lazy import cannot hide
an upward arrow. The CLI (``posture``) sits on top: it may import everything and nothing imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("scanner", "sim", "config", "portal", "worker", "posture")

#: What each layer may import of ours (besides itself). Longest prefix wins.
ALLOWED: dict[str, set[str]] = {
    "scanner": set(),
    "sim": set(),
    "portal": set(),  # the package's own __init__ only
    "portal.db": set(),
    "portal.services": {"portal.db", "scanner"},
    "portal.web": {"portal.services", "portal.db", "config", "scanner"},
    "config": {"portal.db", "portal.services", "scanner"},
    "worker": {"config", "portal.services", "portal.db", "scanner"},
    "posture": {"scanner", "sim", "config", "portal", "worker"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str | None:
    matches = [layer for layer in ALLOWED if module == layer or module.startswith(layer + ".")]
    return max(matches, key=len) if matches else None


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in OURS}


MODULES = sorted(p for package in OURS for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def _upward(path: Path, layer: str) -> set[str]:
    return {name for name in _imports(path)
            if _layer(name) != layer and not any(name == ok or name.startswith(ok + ".") for ok in ALLOWED[layer])}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_only_its_own_layer_and_those_below(path: Path) -> None:
    layer = _layer(_module_name(path))
    assert layer is not None, f"{path} belongs to no layer: add its package to ALLOWED"
    upward = _upward(path, layer)
    assert upward == set(), f"{layer} may not import {sorted(upward)}"


def test_the_layer_rules_catch_an_upward_import_even_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text("def f():\n    from posture.cli import main\n    import worker.app\n"
                      "    from config import settings\n")
    assert _upward(module, "config") == {"posture.cli", "worker.app"}
    assert _upward(module, "posture") == set()


@pytest.mark.parametrize("path", [p for p in MODULES if "services" in p.parts], ids=lambda p: str(p.relative_to(ROOT)))
def test_a_service_area_does_not_reach_into_another_areas_private_modules(path: Path) -> None:
    own = _module_name(path).split(".")[:3]  # portal.services.<area>
    foreign_private = {name for name in _imports(path) if name.startswith("portal.services.")
                       and len(name.split(".")) > 3 and name.split(".")[3].startswith("_")
                       and name.split(".")[:3] != own}
    assert foreign_private == set()
