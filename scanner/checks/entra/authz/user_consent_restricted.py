"""Users can consent to applications only for low-risk permissions, if at all.

Decision (checks.md §6.3): CIS 5.1.5.1 fails any ``ManagePermissionGrantsForSelf.*`` policy, EIDSCA.AP08 accepts
``ManagePermissionGrantsForSelf.microsoft-user-default-low`` ("verified publishers, selected permissions"), and
ScubaGear fails the Microsoft-managed ``-recommended`` policy. We follow EIDSCA: the low-risk policy is the setting
Microsoft's own consent guidance recommends when "no consent at all" is too disruptive. But "low risk" is whatever
the tenant classified as low: ScubaGear's MS.AAD.5.2v1 fails the low-risk policy when a permission it rates risky
is classified low, and so do we, more strictly: under the low-risk policy only the sign-in basics (``openid``,
``profile``, ``email``, ``offline_access``, ``User.Read``) may be classified low; any other fails
(``risky_low_classification``). Policy ids are compared case-insensitively (directory ids are).
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authz.user_consent_restricted",
    title="User consent to applications is restricted",
    area="Authorization policy",
    severity=Severity.HIGH,
    collections=("authorization_policy", "graph_permission_classifications"),
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
        "(EIDSCA.AP08), and only while the permissions classified low are the sign-in basics (openid, profile, "
        "email, offline_access, User.Read). CIS would fail it outright; ScubaGear fails it when a permission it "
        "rates risky is classified low, and fails the Microsoft-managed '-recommended' policy."
    ),
    versus_scuba=(
        "stricter: under the low-risk consent policy, any permission classified low beyond the sign-in basics "
        "fails"
    ),
)

_SELF_CONSENT_PREFIX = "managepermissiongrantsforself."
_LOW_RISK_POLICY = "managepermissiongrantsforself.microsoft-user-default-low"
#: What users may consent to under the low-risk policy without it being a risk: signing in and their profile.
SIGN_IN_BASICS = frozenset({"openid", "profile", "email", "offline_access", "user.read"})


def evaluate(data: Collected) -> Verdict:
    assigned = data["authorization_policy"]["defaultUserRolePermissions"]["permissionGrantPoliciesAssigned"]
    evidence = {"defaultUserRolePermissions.permissionGrantPoliciesAssigned": assigned}
    offending = [
        p for p in assigned if p.lower().startswith(_SELF_CONSENT_PREFIX) and p.lower() != _LOW_RISK_POLICY
    ]
    if offending:
        return Verdict.failed(evidence, affected=offending)
    if any(p.lower() == _LOW_RISK_POLICY for p in assigned):
        low = [c["permissionName"] for c in data["graph_permission_classifications"] if c["classification"] == "low"]
        risky = sorted(name for name in low if name.lower() not in SIGN_IN_BASICS)
        evidence["classified_low"] = sorted(low)
        if risky:
            return Verdict.failed(evidence, affected=risky, reason="risky_low_classification")
    return Verdict.passed(evidence)
