"""The Safe Links checks (MS.SECURITYSUITE.7.1 to 7.3) share their reading: the policies in force, each
needing a set of switches on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.checks._model import Verdict
from scanner.checks.exo.protection._policies import judge

__all__ = ["COLLECTIONS", "judge_switches"]

COLLECTIONS = ("exo_safe_links_policies", "exo_eop_rules", "exo_atp_rules")


def judge_switches(data: Mapping[str, Any], switches: tuple[str, ...]) -> Verdict:
    """Every Safe Links policy in force has each of ``switches`` true (a preset counts only with both its
    protection rules on; the built-in protection policy counts as the default)."""

    def problem(policy: dict[str, Any]) -> str | None:
        off = [s for s in switches if policy[s] is not True]
        return f"off:{','.join(off)}" if off else None

    return judge(data["exo_safe_links_policies"], data["exo_eop_rules"], data["exo_atp_rules"], problem)
