"""Entra password protection is enforced on on-premises Active Directory (hybrid tenants).

No "Password Rule Settings" object means defaults, where on-premises checking runs in Audit mode only: fail
with reason ``no_settings_object``. Whether the DC agent is installed cannot be read through Graph.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.groups._directory_settings import PASSWORD_RULE_TEMPLATE_ID, is_true, settings_for_template

META = CheckMeta(
    id="entra.passwords.onprem_protection",
    title="Password protection is enforced on-premises",
    area="Passwords",
    severity=Severity.LOW,
    collections=("group_settings",),
    gates=(Gate.ENTRA_P1, Gate.HYBRID),
    references=("CIS M365 v7.0 5.2.3.3", "EIDSCA.PR01", "EIDSCA.PR02"),
    rationale=(
        "In a hybrid tenant most password changes happen against domain controllers; in Audit mode a banned "
        "password is only logged there, then synchronised to the cloud as it is."
    ),
    remediation=(
        "Entra admin center > Protection > Authentication methods > Password protection: set 'Enable password "
        "protection on Windows Server Active Directory' to Yes and 'Mode' to Enforced, and install the password "
        "protection proxy and DC agent on the domain controllers."
    ),
)


def evaluate(data: Collected) -> Verdict:
    group_settings = data["group_settings"]
    settings = settings_for_template(group_settings, PASSWORD_RULE_TEMPLATE_ID)
    if settings is None:
        evidence = {"templateId": PASSWORD_RULE_TEMPLATE_ID, "settings_objects_read": len(group_settings)}
        return Verdict.failed(evidence, reason="no_settings_object")
    enabled = settings["EnableBannedPasswordCheckOnPremises"]
    mode = settings["BannedPasswordCheckOnPremisesMode"]
    evidence = {"EnableBannedPasswordCheckOnPremises": enabled, "BannedPasswordCheckOnPremisesMode": mode}
    if not is_true(enabled):
        return Verdict.failed(evidence, reason="not_enabled")
    if (mode or "").strip().lower() != "enforce":
        return Verdict.failed(evidence, reason="audit_mode")
    return Verdict.passed(evidence)
