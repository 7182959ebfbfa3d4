"""No one holds a highly privileged role permanently active, except the configured break-glass accounts.

Permanent means ``assignmentType == "Assigned"`` (not a time-bound PIM activation) with no
``endDateTime`` (ScubaGear's rule). Affected objects are principal ids: the instances carry no names.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.collections import PRIVILEGED_ROLE_IDS

META = CheckMeta(
    id="entra.pim.no_permanent_active",
    title="No permanent active assignments to privileged roles",
    area="PIM",
    severity=Severity.HIGH,
    collections=("role_assignment_instances",),
    gates=(Gate.ENTRA_P2,),
    references=("MS.AAD.7.4v1", "CIS M365 v7.0 5.3.1", "MT.1031"),
    rationale=(
        "A standing admin role is usable the moment the account is phished. Making admins eligible instead means "
        "the role must be activated, for a few hours, with MFA, a reason and (for the top roles) approval."
    ),
    remediation=(
        "Entra admin center > Identity Governance > Privileged Identity Management > Microsoft Entra roles > "
        "Assignments > Active assignments: for each listed principal, add an Eligible assignment and remove the "
        "permanent active one. Record the break-glass accounts in the tenant settings so they are exempt."
    ),
    decision="Principals in the tenant's break-glass list may keep permanent active assignments.",
)


def evaluate(data: Collected) -> Verdict:
    privileged = [i for i in data["role_assignment_instances"] if i["roleDefinitionId"] in PRIVILEGED_ROLE_IDS]
    permanent = {i["principalId"] for i in privileged if i["assignmentType"] == "Assigned" and i["endDateTime"] is None}
    exempt = permanent & data.config.break_glass_ids
    offending = sorted(permanent - exempt)
    evidence = {
        "privileged_instances": len(privileged),
        "permanent_principals": len(permanent),
        "break_glass_exempt": sorted(exempt),
    }
    if offending:
        return Verdict.failed(evidence, affected=offending)
    return Verdict.passed(evidence)
