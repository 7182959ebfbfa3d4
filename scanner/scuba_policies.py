"""The policy ids of CISA's Secure Cloud Business Applications (SCuBA) baselines, as data.

A check's ``references`` may cite a SCuBA policy only if it is listed here, so a mistyped id, an id the
baselines retired, or a policy's old version cannot reach a report (``tests/scanner/test_references.py``).

Source: the baseline documents of ``cisagov/ScubaGear`` (``PowerShell/ScubaGear/baselines/*.md``) on its
main branch after release 1.8.0, as of 2026-06, with ``baselines/removedpolicies.md`` and
``mappings/scuba-baseline-policy-migrations.csv`` for what moved. Of note:

- In April 2026 the Defender baseline was retired into the Security Suite baseline (``MS.SECURITYSUITE``),
  with Exchange Online's sections 8 to 12 and 14 to 17: the unified audit log (``MS.EXO.17.1v1``) is now
  ``MS.SECURITYSUITE.5.1v1``.
- ``MS.AAD.5.4v1`` was removed in March 2025; ``MS.EXO.2.2`` is at v3 (a soft fail ``~all`` complies).
- ``MS.AAD.8.3v1`` is the guest-invitation domain allow-list (ScubaGear does not evaluate it).
- The Teams policy 1.7 is listed at v2 by the migrations table and at v1 by an older sample report; v2
  is kept. Nothing here cites Teams yet.

Update this list with the baselines, never from a check: it is what the checks are held to.
"""

from __future__ import annotations

__all__ = ["SCUBA_BASELINE", "SCUBA_POLICY_IDS", "product_of"]

#: Which baselines the list below is.
SCUBA_BASELINE = "ScubaGear main after v1.8.0 (baselines as of 2026-06)"


def _ids(product: str, *numbers: str) -> frozenset[str]:
    return frozenset(f"MS.{product}.{number}" for number in numbers)


#: Every policy id of the baselines, with its version suffix.
SCUBA_POLICY_IDS: frozenset[str] = (
    _ids("AAD", "1.1v1", "2.1v1", "2.2v1", "2.3v1", "3.1v1", "3.2v2", "3.3v2", "3.4v1", "3.5v2", "3.6v1", "3.7v1",
         "3.8v1", "3.9v1", "4.1v1", "5.1v1", "5.2v1", "5.3v1", "5.5v1", "5.6v1", "5.7v1", "6.1v1", "7.1v1", "7.2v1",
         "7.3v1", "7.4v1", "7.5v1", "7.6v1", "7.7v1", "7.8v1", "7.9v1", "8.1v1", "8.2v1", "8.3v1")
    | _ids("EXO", "1.1v2", "2.2v3", "3.1v1", "4.1v1", "4.2v1", "4.3v1", "4.4v1", "5.1v1", "6.1v1", "6.2v1", "7.1v1",
           "13.1v1")
    | _ids("SECURITYSUITE", "1.1v1", "1.2v1", "1.3v1", "1.4v1", "2.1v1", "2.2v1", "2.3v1", "2.4v1", "3.1v1", "3.2v1",
           "3.3v1", "3.4v1", "3.5v1", "4.1v1", "4.2v1", "5.1v1", "5.2v1", "6.1v1", "6.2v1", "7.1v1", "7.2v1",
           "7.3v1", "8.1v1", "8.2v1")
    | _ids("SHAREPOINT", "1.1v1", "1.2v1", "1.3v1", "2.1v1", "2.2v1", "3.1v1", "3.2v1", "3.3v1")
    | _ids("TEAMS", "1.1v1", "1.2v1", "1.3v1", "1.4v1", "1.5v1", "1.6v1", "1.7v2", "2.1v1", "2.2v1", "2.3v1", "4.1v1",
           "5.1v1", "5.2v1", "5.3v1")
    | _ids("POWERPLATFORM", "1.1v1", "1.2v1", "2.1v1", "2.2v1", "3.1v1", "3.2v1", "4.1v1", "5.1v1")
    | _ids("POWERBI", "1.1v1", "2.1v1", "3.1v1", "4.1v1", "4.2v1", "5.1v1", "6.1v1", "7.1v1")
)


def product_of(policy_id: str) -> str:
    """``MS.AAD.3.2v2`` -> ``AAD``."""
    return policy_id.split(".")[1]
