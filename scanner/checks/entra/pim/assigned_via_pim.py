"""Highly privileged roles are assigned through PIM, not directly.

An assignment instance with a null ``startDateTime`` was made outside PIM (ScubaGear's rule); affected
objects are principal ids, as the instances carry no names.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.collections import PRIVILEGED_ROLE_IDS

META = CheckMeta(
    id="entra.pim.assigned_via_pim",
    title="Privileged roles are assigned through PIM",
    area="PIM",
    severity=Severity.MEDIUM,
    collections=("role_assignment_instances",),
    gates=(Gate.ENTRA_P2,),
    references=("MS.AAD.7.5v1",),
    rationale=(
        "Assignments made outside PIM skip its controls (duration, justification, approval, alerts) and its "
        "audit trail, so nobody is told when someone gains a top role."
    ),
    remediation=(
        "Entra admin center > Identity Governance > Privileged Identity Management > Microsoft Entra roles > "
        "Assignments: recreate each listed principal's assignment here (preferably as Eligible), then remove the "
        "direct assignment under Entra ID > Roles & admins."
    ),
)


def evaluate(data: Collected) -> Verdict:
    privileged = [i for i in data["role_assignment_instances"] if i["roleDefinitionId"] in PRIVILEGED_ROLE_IDS]
    outside = sorted({i["principalId"] for i in privileged if i["startDateTime"] is None})
    evidence = {"privileged_instances": len(privileged), "assigned_outside_pim": len(outside)}
    if outside:
        return Verdict.failed(evidence, affected=outside)
    return Verdict.passed(evidence)
