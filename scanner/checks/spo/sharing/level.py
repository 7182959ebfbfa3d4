"""SharePoint and OneDrive do not allow anonymous (Anyone) sharing links."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.spo._settings import tenant_settings

#: ``sharingCapability`` values that require every external person to sign in (CIS 7.2.3).
_SIGN_IN_REQUIRED = {"disabled", "existingexternalusersharingonly", "externalusersharingonly"}

META = CheckMeta(
    id="spo.sharing.level",
    title="External sharing requires guests to sign in",
    area="SharePoint and OneDrive",
    severity=Severity.HIGH,
    collections=("sharepoint_settings",),
    gates=(Gate.SHAREPOINT,),
    references=("MS.SHAREPOINT.1.1v1", "CIS M365 v7.0 7.2.3"),
    rationale=(
        "An Anyone link works for whoever holds it, with no sign-in and no record of who opened it. Links get "
        "forwarded, pasted into tickets and indexed, so files shared that way cannot be taken back or audited."
    ),
    remediation=(
        "In the SharePoint admin center go to Policies > Sharing and set SharePoint to 'New and existing guests' "
        "or stricter, or run Set-SPOTenant -SharingCapability ExternalUserSharingOnly. OneDrive cannot be more "
        "permissive than SharePoint, so this closes Anyone links in OneDrive too."
    ),
    decision=(
        "CIS 7.2.3 and Prowler accept 'New and existing guests' (externalUserSharingOnly); ScubaGear "
        "MS.SHAREPOINT.1.1v1 accepts only existing guests or no external sharing. We follow CIS: the risk that "
        "matters is unauthenticated access, and most small businesses need to invite new guests. The evidence "
        "carries sharingCapability for anyone holding the stricter bar."
    ),
)


def evaluate(data: Collected) -> Verdict:
    capability = tenant_settings(data["sharepoint_settings"])["sharingCapability"]
    evidence = {"sharingCapability": capability}
    if str(capability).lower() in _SIGN_IN_REQUIRED:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
