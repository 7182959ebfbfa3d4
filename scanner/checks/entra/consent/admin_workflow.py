"""Users can ask an admin to approve an app, and someone receives the request.

Decision (checks.md §6.8): ScubaGear reads the ``EnableAdminConsentRequests`` directory setting (beta
``/settings``); Maester and Prowler read ``/policies/adminConsentRequestPolicy``. We read the policy (v1.0, and it
also says who reviews): a workflow with no reviewer lets requests pile up unseen, so it fails too.
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.consent.admin_workflow",
    title="Admin consent workflow is on, with reviewers",
    area="Applications",
    severity=Severity.MEDIUM,
    collections=("admin_consent_policy",),
    references=("MS.AAD.5.3v1", "CIS M365 v7.0 5.1.5.2", "EIDSCA.CR01"),
    rationale=(
        "Once user consent is restricted, people still need new apps; without a request path they find "
        "workarounds or pressure an admin to reopen consent. The workflow sends each request to named reviewers."
    ),
    remediation=(
        "Entra admin center > Identity > Applications > Enterprise applications > Consent and permissions > "
        "Admin consent settings: set 'Users can request admin consent to apps they are unable to consent to' to "
        "Yes, pick reviewers, and turn on email notifications."
    ),
    decision=(
        "Reads /policies/adminConsentRequestPolicy (Maester, Prowler) rather than the EnableAdminConsentRequests "
        "directory setting (ScubaGear); the policy must also name at least one reviewer."
    ),
)


def evaluate(data: Collected) -> Verdict:
    policy = data["admin_consent_policy"]
    is_enabled = policy["isEnabled"]
    reviewers = [r["query"] for r in policy["reviewers"]]
    evidence = {"isEnabled": is_enabled, "reviewers": reviewers}
    if is_enabled is not True:
        return Verdict.failed(evidence, reason="workflow_disabled")
    if not reviewers:
        return Verdict.failed(evidence, reason="no_reviewers")
    return Verdict.passed(evidence)
