"""Expected verdicts: what the scanner must conclude on a built tenant, written from intent.

A check is ``not_applicable`` when the tenant lacks one of its gates (reason: the first gate missing,
in ``CHECK_GATES`` order), else ``fail`` when the profile lists it in ``Spec.fails``, else ``pass``.
The gates are the ones each profile declares by hand (``Spec.gates``), so the scanner's licence rule
is tested against a written answer, not against a second copy of itself. :func:`satisfied_gates`
reads them from the built licences by the rule of docs/catalogue-plan.md (enabled SKUs only, plans
provisioned ``Success``, matched by name prefix) for the simulator's own data (Secure Score's
services), and a test holds it to the declared ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sim.profiles._catalogue import CHECK_GATES, DEFENDER, ENTRA_P1, ENTRA_P2, EXCHANGE, HYBRID, INTUNE, SHAREPOINT

__all__ = ["expected_verdicts", "satisfied_gates"]

_PREFIXES: Mapping[str, tuple[str, ...]] = {
    ENTRA_P1: ("AAD_PREMIUM",),
    ENTRA_P2: ("AAD_PREMIUM_P2", "AAD_GOVERNANCE"),
    INTUNE: ("INTUNE_A",),
    EXCHANGE: ("EXCHANGE_S_",),
    SHAREPOINT: ("SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE", "SHAREPOINT_S_"),
    DEFENDER: ("ATP_ENTERPRISE", "THREAT_INTELLIGENCE"),
}


def satisfied_gates(plan_names: Iterable[str], hybrid: bool) -> set[str]:
    """The gates a tenant with these enabled service plans satisfies."""
    names = list(plan_names)
    gates = {gate for gate, prefixes in _PREFIXES.items() if any(n.startswith(prefixes) for n in names)}
    if ENTRA_P2 in gates:
        gates.add(ENTRA_P1)
    if hybrid:
        gates.add(HYBRID)
    return gates


def expected_verdicts(fails: Iterable[str], reasons: Mapping[str, str], gates: set[str],
                      not_applicable: Mapping[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(status by check id, reason by check id) for a tenant.

    Raises:
        ValueError: a listed failure is not a check id, or names a check the tenant's gates rule out
            (the profile's intent and its licences disagree).
    """
    fails = set(fails)
    unknown = sorted(fails - set(CHECK_GATES))
    if unknown:
        raise ValueError(f"unknown check ids in the profile's failures: {unknown}")
    statuses: dict[str, str] = {}
    out_reasons: dict[str, str] = {}
    for check, needed in CHECK_GATES.items():
        missing = [g for g in needed if g not in gates]
        if missing:
            if check in fails:
                raise ValueError(f"{check} is listed as failing but is not applicable ({missing[0]})")
            statuses[check] = "not_applicable"
            out_reasons[check] = missing[0]
            continue
        if check in (not_applicable or {}):
            statuses[check], out_reasons[check] = "not_applicable", (not_applicable or {})[check]
            continue
        statuses[check] = "fail" if check in fails else "pass"
        if check in reasons:
            out_reasons[check] = reasons[check]
    return statuses, out_reasons
