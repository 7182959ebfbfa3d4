"""Run checks over collected data, handling the special cases once, for every check.

- A licence or feature the tenant lacks gives ``not_applicable`` with the gate as reason.
- A collection that could not be read gives ``error`` with the collector's reason
  (``insufficient_permission:Policy.Read.All``, ``throttled``, ``service_error:503``...).
- Data that does not have the shape a check reads (a field Graph did not send, a wrong type)
  gives ``error`` with reason ``malformed_data``; it is logged with the check id.
So ``evaluate`` only ever sees data that was read, and a check that could not read is never ``pass``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from scanner._decode import json_safe
from scanner._errors import ScannerError
from scanner._result import CheckResult
from scanner.checks import Check
from scanner.checks._model import Collected, Gate, Status, TenantConfig
from scanner.collections import COLLECTIONS, GraphFanOut

__all__ = ["run_checks"]

log = logging.getLogger(__name__)

#: What a broken shape raises when a check reads it.
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError)


def run_checks(
    checks: Iterable[Check],
    collected: Mapping[str, Any],
    gates: set[Gate] | None,
    *,
    now: dt.datetime,
    config: TenantConfig,
    tenant_id: str,
    gates_error: ScannerError | None = None,
) -> list[CheckResult]:
    """Evaluate each check.

    Args:
        collected: collection name to its data, or to the ``ScannerError`` that prevented reading it.
        gates: the gates the tenant satisfies, or None when the licence inventory could not be read
            (then ``gates_error`` says why, and gated checks are ``error``).
    """
    results = []
    for check in checks:
        results.append(_run_one(check, collected, gates, now, config, tenant_id, gates_error))
    return results


def _run_one(
    check: Check,
    collected: Mapping[str, Any],
    gates: set[Gate] | None,
    now: dt.datetime,
    config: TenantConfig,
    tenant_id: str,
    gates_error: ScannerError | None,
) -> CheckResult:
    meta = check.meta
    if meta.gates:
        if gates is None:
            reason = gates_error.reason if gates_error is not None else "unknown"
            return CheckResult(meta, Status.ERROR, f"licences_unknown:{reason}")
        missing = [g for g in meta.gates if g not in gates]
        if missing:
            return CheckResult(meta, Status.NOT_APPLICABLE, missing[0].value)
    present = collected  # copied only when a licence-bound collection must read as empty
    for name in meta.collections:
        licence = getattr(COLLECTIONS[name], "licence", None)
        if licence is not None and name not in collected:
            if gates is None:
                reason = gates_error.reason if gates_error is not None else "unknown"
                return CheckResult(meta, Status.ERROR, f"licences_unknown:{reason}")
            if licence not in {g.value for g in gates}:
                # The tenant cannot have this data: none of it, not unread.
                present = {**present, name: {} if isinstance(COLLECTIONS[name], GraphFanOut) else []}
                continue
        value = collected.get(name)
        if isinstance(value, ScannerError):
            # The message says what failed and what to do (assign a role, grant a permission).
            return CheckResult(meta, Status.ERROR, value.reason, evidence={"collection": name, "detail": str(value)})
        if name not in collected:
            return CheckResult(meta, Status.ERROR, f"not_collected:{name}")
    data = Collected(present, allowed=meta.collections, now=now, config=config, tenant_id=tenant_id)
    try:
        verdict = check.evaluate(data)
    except _SHAPE_ERRORS as exc:
        log.warning("check %s could not read its data for tenant %s: %r", meta.id, tenant_id, exc)
        return CheckResult(meta, Status.ERROR, "malformed_data", evidence={"detail": repr(exc)[:300]})
    # A check's evidence may hold datetimes or sets; stored evidence is plain JSON, always.
    return CheckResult(meta, verdict.status, verdict.reason, json_safe(verdict.evidence),
                       [json_safe(a) for a in verdict.affected])
