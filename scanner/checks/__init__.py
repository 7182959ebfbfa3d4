"""The check catalogue: every module below this package with a ``META`` and an ``evaluate``.

A check's id is its module path below ``scanner.checks`` (``entra/ca/block_legacy_auth.py`` is
``entra.ca.block_legacy_auth``), so the folder, the module and the id never drift apart. Every
``META`` is validated when the catalogue loads, as Dramatiq validates actor options: a mistake
fails at import with a message that names the check, not later in a scan.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from scanner.checks._model import (
    CheckMeta,
    Collected,
    Gate,
    Severity,
    Status,
    TenantConfig,
    Verdict,
)
from scanner.collections import COLLECTIONS

__all__ = [
    "Check",
    "CheckMeta",
    "Collected",
    "Gate",
    "Severity",
    "Status",
    "TenantConfig",
    "Verdict",
    "catalogue",
    "get_check",
]

_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_SCUBA = re.compile(r"^MS\.[A-Z]+\.\d+\.\d+v\d+$")
_CIS = re.compile(r"^CIS M365 v\d+\.\d+(\.\d+)? \d+(\.\d+)+$")


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    evaluate: Callable[[Collected], Verdict]

    @property
    def id(self) -> str:
        return self.meta.id


class CatalogueError(Exception):
    """A check module is malformed (raised at import of the catalogue)."""


def _validate(module_id: str, meta: object, evaluate: object) -> Check:
    if not isinstance(meta, CheckMeta):
        raise CatalogueError(f"{module_id}: META must be a CheckMeta, got {type(meta).__name__}")
    if not callable(evaluate):
        raise CatalogueError(f"{module_id}: evaluate() is missing")
    if meta.id != module_id:
        raise CatalogueError(f"{module_id}: META.id is {meta.id!r}; it must equal the module path {module_id!r}")
    if not _ID.match(meta.id):
        raise CatalogueError(f"{module_id}: id must be lower-case and dotted")
    if not isinstance(meta.severity, Severity):
        raise CatalogueError(f"{module_id}: severity must be a Severity")
    if not meta.collections:
        raise CatalogueError(f"{module_id}: declares no collections")
    unknown = [c for c in meta.collections if c not in COLLECTIONS]
    if unknown:
        raise CatalogueError(f"{module_id}: unknown collections {unknown}; add them to scanner/collections.py")
    if any(not isinstance(g, Gate) for g in meta.gates):
        raise CatalogueError(f"{module_id}: gates must be Gate members")
    for text in ("title", "area", "rationale", "remediation"):
        if not getattr(meta, text).strip():
            raise CatalogueError(f"{module_id}: {text} is empty")
    for ref in meta.references:
        if ref.startswith("MS.") and not _SCUBA.match(ref):
            raise CatalogueError(f"{module_id}: SCuBA reference {ref!r} is not a policy id like MS.AAD.1.1v1")
        if ref.startswith("CIS") and not _CIS.match(ref):
            raise CatalogueError(f"{module_id}: CIS reference {ref!r} must read like 'CIS M365 v7.0 5.2.2.3'")
    if meta.versus_scuba is not None:
        if not any(ref.startswith("MS.") for ref in meta.references):
            raise CatalogueError(f"{module_id}: versus_scuba needs a SCuBA reference to differ from")
        if not meta.versus_scuba.startswith(("stricter: ", "more lenient: ")):
            raise CatalogueError(f"{module_id}: versus_scuba starts 'stricter: ' or 'more lenient: ', then why")
    return Check(meta=meta, evaluate=evaluate)  # type: ignore[arg-type]


@cache
def catalogue() -> tuple[Check, ...]:
    """Every check, sorted by id. Loaded once per process."""
    checks: dict[str, Check] = {}
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        leaf = info.name.rsplit(".", 1)[-1]
        if info.ispkg or leaf.startswith("_"):
            continue
        module = importlib.import_module(info.name)
        module_id = info.name.removeprefix(f"{__name__}.")
        check = _validate(module_id, getattr(module, "META", None), getattr(module, "evaluate", None))
        checks[check.id] = check
    return tuple(checks[k] for k in sorted(checks))


def get_check(check_id: str) -> Check:
    """One check by id; ``KeyError`` names the id when there is no such check."""
    for check in catalogue():
        if check.id == check_id:
            return check
    raise KeyError(f"no check with id {check_id!r}")
