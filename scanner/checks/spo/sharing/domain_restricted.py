"""External sharing is limited to (or away from) named domains."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.spo._settings import tenant_settings

META = CheckMeta(
    id="spo.sharing.domain_restricted",
    title="External sharing is limited by domain",
    area="SharePoint and OneDrive",
    severity=Severity.MEDIUM,
    collections=("sharepoint_settings",),
    gates=(Gate.SHAREPOINT,),
    references=("MS.SHAREPOINT.1.3v1", "CIS M365 v7.0 7.2.6"),
    rationale=(
        "Without a domain list, files can be shared with any address on the internet, including personal mail "
        "and look-alike domains. A list makes sharing go to the partners the business actually works with."
    ),
    remediation=(
        "In the SharePoint admin center go to Policies > Sharing > More external sharing settings, tick 'Limit "
        "external sharing by domain' and add partner domains to an allow list, or run Set-SPOTenant "
        "-SharingDomainRestrictionMode AllowList -SharingAllowedDomainList 'fabrikam.com contoso.org'."
    ),
    decision=(
        "ScubaGear reads MS.SHAREPOINT.1.3v1 as an allow list; Prowler also accepts a non-empty block list. We "
        "accept both: a block list shows sharing is managed, and an MSP's customers rarely know every partner "
        "domain up front. With external sharing off the check is not applicable."
    ),
)


def evaluate(data: Collected) -> Verdict:
    settings = tenant_settings(data["sharepoint_settings"])
    if str(settings["sharingCapability"]).lower() == "disabled":
        return Verdict.not_applicable("sharing_disabled", {"sharingCapability": settings["sharingCapability"]})
    mode = settings["sharingDomainRestrictionMode"]
    evidence: dict[str, object] = {"sharingDomainRestrictionMode": mode}
    if str(mode).lower() == "allowlist":
        domains = settings["sharingAllowedDomainList"] or []
        evidence["sharingAllowedDomainList"] = domains
    elif str(mode).lower() == "blocklist":
        domains = settings["sharingBlockedDomainList"] or []
        evidence["sharingBlockedDomainList"] = domains
    else:
        domains = []
    if domains:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
