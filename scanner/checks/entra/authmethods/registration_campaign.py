"""Users without Microsoft Authenticator are prompted to register it at sign-in."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authmethods.registration_campaign",
    title="Authenticator registration campaign is enabled",
    area="Authentication methods",
    severity=Severity.LOW,
    collections=("auth_methods_policy",),
    rationale=(
        "The campaign nudges users still on SMS or voice to register Microsoft Authenticator, which is what makes "
        "turning the weak methods off possible without locking people out."
    ),
    remediation=(
        "Entra admin center > Entra ID > Authentication methods > Registration campaign > Edit: set State to "
        "Enabled, include All users and choose Microsoft Authenticator."
    ),
    decision=(
        "Only 'enabled' passes. 'default' (Microsoft-managed) runs the campaign only for some users and can change "
        "without notice, so it is reported as not enabled."
    ),
)


def evaluate(data: Collected) -> Verdict:
    campaign = data["auth_methods_policy"]["registrationEnforcement"]["authenticationMethodsRegistrationCampaign"]
    evidence = {"state": campaign["state"], "includeTargets": [t["id"] for t in campaign["includeTargets"]]}
    if campaign["state"] == "enabled":
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, reason="campaign_not_enabled")
