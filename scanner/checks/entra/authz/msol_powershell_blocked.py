"""The legacy MSOnline PowerShell module is blocked for the tenant."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authz.msol_powershell_blocked",
    title="Legacy MSOnline PowerShell is blocked",
    area="Authorization policy",
    severity=Severity.LOW,
    collections=("authorization_policy",),
    references=("MT.1185",),
    rationale=(
        "Microsoft retired the MSOnline module and it gets no security fixes; a script or attacker still using it "
        "works outside the Graph permission model the tenant is otherwise managed through. Nothing supported needs it."
    ),
    remediation=(
        "There is no portal switch: set blockMsolPowerShell to true on the authorization policy (Microsoft Graph "
        "PowerShell: Update-MgPolicyAuthorizationPolicy -BlockMsolPowerShell:$true)."
    ),
)


def evaluate(data: Collected) -> Verdict:
    # null (the doc example's value) means not blocked: only an explicit true passes.
    blocked = data["authorization_policy"]["blockMsolPowerShell"]
    evidence = {"blockMsolPowerShell": blocked}
    if blocked is True:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
