"""Users can consent to applications only for low-risk permissions, if at all.

Decision (checks.md §6.3): CIS 5.1.5.1 fails any ``ManagePermissionGrantsForSelf.*`` policy, EIDSCA.AP08 accepts
``ManagePermissionGrantsForSelf.microsoft-user-default-low`` ("verified publishers, selected permissions"), and
ScubaGear fails the Microsoft-managed ``-recommended`` policy. We follow EIDSCA: the low-risk policy is the setting
Microsoft's own consent guidance recommends when "no consent at all" is too disruptive, and only an admin can
classify a permission as low risk. Policy ids are compared case-insensitively (directory ids are).
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authz.user_consent_restricted",
    title="User consent to applications is restricted",
    area="Authorization policy",
    severity=Severity.HIGH,
    collections=("authorization_policy",),
    references=("MS.AAD.5.2v1", "CIS M365 v7.0 5.1.5.1", "EIDSCA.AP08"),
    rationale=(
        "Consent phishing works by getting one user to click 'Accept': the attacker's app then reads that user's "
        "mail and files through Graph, with no password needed and no MFA prompt later."
    ),
    remediation=(
        "Entra admin center > Identity > Applications > Enterprise applications > Consent and permissions > "
        "User consent settings: choose 'Do not allow user consent', or 'Allow user consent for apps from verified "
        "publishers, for selected permissions' and classify only low-risk permissions. Turn on the admin consent "
        "workflow so users can still ask."
    ),
    decision=(
        "Only ManagePermissionGrantsForSelf.microsoft-user-default-low is accepted as a self-consent policy "
        "(EIDSCA.AP08); CIS would also fail it, ScubaGear fails the Microsoft-managed '-recommended' policy."
    ),
)

_SELF_CONSENT_PREFIX = "managepermissiongrantsforself."
_LOW_RISK_POLICY = "managepermissiongrantsforself.microsoft-user-default-low"


def evaluate(data: Collected) -> Verdict:
    assigned = data["authorization_policy"]["defaultUserRolePermissions"]["permissionGrantPoliciesAssigned"]
    evidence = {"defaultUserRolePermissions.permissionGrantPoliciesAssigned": assigned}
    offending = [
        p for p in assigned if p.lower().startswith(_SELF_CONSENT_PREFIX) and p.lower() != _LOW_RISK_POLICY
    ]
    if offending:
        return Verdict.failed(evidence, affected=offending)
    return Verdict.passed(evidence)
