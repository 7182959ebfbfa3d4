"""No sharing policy lets users share their calendar information with every external domain."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo.sharing._domains import shared_with_all_domains

META = CheckMeta(
    id="exo.sharing.calendar_not_shared_with_all",
    title="Calendar details are not shared with every external domain",
    area="Exchange Online",
    severity=Severity.LOW,
    collections=("exo_sharing_policies",),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.6.2v1",),
    rationale=(
        "Free/busy and calendar details shared with any domain show outsiders when people travel, who they meet "
        "and what projects run: the timing and pretext a social-engineering attack needs."
    ),
    remediation=(
        "Exchange admin center > Organization > Sharing > Individual sharing: edit each policy and remove the "
        "'Sharing with all domains' (*) rule or its Calendar actions, then add the partner domains that need it "
        "one by one; or Set-SharingPolicy -Identity <name> -Domains <the entries without *>."
    ),
    decision=(
        "As ScubaGear: an entry whose domain holds * and whose actions name Calendar fails, whether or not the "
        "policy is enabled or assigned (a disabled policy is one switch away)."
    ),
)


def evaluate(data: Collected) -> Verdict:
    policies = data["exo_sharing_policies"]
    sharing = shared_with_all_domains(policies, "Calendar")
    evidence = {"policies_read": len(policies), "sharing_with_all_domains": sharing}
    if sharing:
        return Verdict.failed(evidence, affected=sharing)
    return Verdict.passed(evidence)
