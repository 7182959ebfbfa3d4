"""Helpers for Exchange check tests: cmdlet output from tests/fixtures/exchange, as the admin API returns it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EXCHANGE_FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "exchange"


def exchange_body(cmdlet: str) -> dict[str, Any]:
    """A fresh copy of the InvokeCommand response body in ``tests/fixtures/exchange/<cmdlet>.json``."""
    return copy.deepcopy(json.loads((EXCHANGE_FIXTURES / f"{cmdlet}.json").read_text()))


def exchange_value(cmdlet: str) -> list[dict[str, Any]]:
    """The cmdlet's objects (the response's ``value`` list): what the scanner hands a check."""
    return exchange_body(cmdlet)["value"]


def by_identity(objects: list[dict[str, Any]], identity: str) -> dict[str, Any]:
    """The object whose ``Identity`` is ``identity``, to change one field of it in a test."""
    return next(o for o in objects if o["Identity"] == identity)
