"""Mail impersonating the organisation's own domains is quarantined (anti-phishing domain impersonation)."""

from typing import Any

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.exo.protection._policies import judge

META = CheckMeta(
    id="exo.protection.domain_impersonation",
    title="Mail impersonating the company's domains is stopped",
    area="Email protection",
    severity=Severity.MEDIUM,
    collections=("exo_antiphish_policies", "exo_eop_rules", "exo_atp_rules"),
    gates=(Gate.EXCHANGE, Gate.DEFENDER),
    references=("MS.SECURITYSUITE.2.2v1",),
    rationale=(
        "Phishing from a look-alike domain (contoso-invoices.com, c0ntoso.com) passes SPF, DKIM and DMARC for "
        "its own domain; impersonation protection compares senders with the company's domains and stops them."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Anti-phishing > "
        "each policy > Phishing threshold & protection: tick 'Include domains I own', and under Actions set "
        "'If a message is detected as an impersonated domain' to 'Quarantine the message' (or turn on the "
        "Standard or Strict preset security policy for all recipients)."
    ),
    decision=(
        "Judges every anti-phishing policy in force (a preset counts only with both its protection rules on): "
        "EnableOrganizationDomainsProtection is on and TargetedDomainProtectionAction quarantines, deletes, "
        "redirects or moves the mail to Junk (not NoAction or BccMessage, as ScubaGear); a switched-off policy "
        "fails."
    ),
    versus_scuba=(
        "stricter: every policy that may apply is judged, and a preset counts only when its Defender rule "
        "covers everyone too"
    ),
)

_STOPPED = {"Quarantine", "Delete", "Redirect", "MoveToJmf"}


def _problem(policy: dict[str, Any]) -> str | None:
    if policy["Enabled"] is not True:  # ScubaGear counts enabled policies only
        return "policy_off"
    if policy["EnableOrganizationDomainsProtection"] is not True:
        return "own_domains_not_protected"
    action = policy["TargetedDomainProtectionAction"]
    return None if action in _STOPPED else f"action:{action}"


def evaluate(data: Collected) -> Verdict:
    return judge(data["exo_antiphish_policies"], data["exo_eop_rules"], data["exo_atp_rules"], _problem)
