"""Passkeys (FIDO2) are enabled, with attestation and an explicit list of accepted key models."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.authmethods._methods import method_configuration

META = CheckMeta(
    id="entra.authmethods.fido2_hardened",
    title="FIDO2 passkeys are enabled with attestation and key restrictions",
    area="Authentication methods",
    severity=Severity.MEDIUM,
    collections=("auth_methods_policy",),
    references=("EIDSCA.AF01", "EIDSCA.AF02", "EIDSCA.AF03", "EIDSCA.AF04", "EIDSCA.AF05", "EIDSCA.AF06"),
    rationale=(
        "Passkeys are the phishing-resistant method most users can adopt. Enforcing attestation and restricting "
        "key models (by AAGUID) keeps cloned, software or unvetted authenticators from being registered."
    ),
    remediation=(
        "Entra admin center > Entra ID > Authentication methods > Policies > Passkey (FIDO2): enable it for the "
        "users who need it; under Configure set 'Enforce attestation' to Yes, 'Enforce key restrictions' to Yes, "
        "'Restrict specific keys' to Allow, and add the AAGUIDs of the key models you issue."
    ),
)


def evaluate(data: Collected) -> Verdict:
    fido2 = method_configuration(data["auth_methods_policy"], "Fido2")
    restrictions = fido2["keyRestrictions"]
    evidence = {
        "state": fido2["state"],
        "isAttestationEnforced": fido2["isAttestationEnforced"],
        "keyRestrictions.isEnforced": restrictions["isEnforced"],
        "keyRestrictions.enforcementType": restrictions["enforcementType"],
        "keyRestrictions.aaGuids": len(restrictions["aaGuids"]),
    }
    if fido2["state"] != "enabled":
        return Verdict.failed(evidence, reason="fido2_disabled")
    unmet = [
        name
        for name, ok in (
            ("isAttestationEnforced", fido2["isAttestationEnforced"] is True),
            ("keyRestrictions.isEnforced", restrictions["isEnforced"] is True),
            ("keyRestrictions.enforcementType", restrictions["enforcementType"] in ("allow", "block")),
            ("keyRestrictions.aaGuids", bool(restrictions["aaGuids"])),
        )
        if not ok
    ]
    if unmet:
        return Verdict.failed(evidence, affected=unmet, reason="not_hardened")
    return Verdict.passed(evidence)
