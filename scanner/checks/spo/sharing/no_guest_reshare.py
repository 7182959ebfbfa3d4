"""Guests cannot share items they do not own."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.spo._settings import tenant_settings

META = CheckMeta(
    id="spo.sharing.no_guest_reshare",
    title="Guests cannot reshare items they do not own",
    area="SharePoint and OneDrive",
    severity=Severity.MEDIUM,
    collections=("sharepoint_settings",),
    gates=(Gate.SHAREPOINT,),
    references=("CIS M365 v7.0 7.2.5",),
    rationale=(
        "When guests may reshare, a file shared with one partner can be passed on to people nobody in the "
        "organisation chose or knows about, and the owner loses track of who has access."
    ),
    remediation=(
        "In the SharePoint admin center go to Policies > Sharing > More external sharing settings and clear "
        "'Allow guests to share items they don't own', or run Set-SPOTenant -PreventExternalUsersFromResharing $true."
    ),
)


def evaluate(data: Collected) -> Verdict:
    reshare = tenant_settings(data["sharepoint_settings"])["isResharingByExternalUsersEnabled"]
    evidence = {"isResharingByExternalUsersEnabled": reshare}
    if reshare is False:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
