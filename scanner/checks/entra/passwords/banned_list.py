"""A custom banned-password list is enforced, with words specific to the organisation.

No "Password Rule Settings" object means the tenant runs on defaults, where the custom list is off: fail with
reason ``no_settings_object`` (CIS 5.2.3.2 audit).
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict
from scanner.checks.entra.groups._directory_settings import PASSWORD_RULE_TEMPLATE_ID, is_true, settings_for_template

META = CheckMeta(
    id="entra.passwords.banned_list",
    title="A custom banned-password list is enforced",
    area="Passwords",
    severity=Severity.LOW,
    collections=("group_settings",),
    gates=(Gate.ENTRA_P1,),
    references=("CIS M365 v7.0 5.2.3.2", "EIDSCA.PR03"),
    rationale=(
        "Microsoft's global list does not know your company name, products or city, which are the first words "
        "people build passwords from and the first an attacker tries against your staff."
    ),
    remediation=(
        "Entra admin center > Protection > Authentication methods > Password protection: set 'Enforce custom list' "
        "to Yes and add the company's names, brands, products and locations to 'Custom banned password list'."
    ),
)


def evaluate(data: Collected) -> Verdict:
    group_settings = data["group_settings"]
    settings = settings_for_template(group_settings, PASSWORD_RULE_TEMPLATE_ID)
    if settings is None:
        evidence = {"templateId": PASSWORD_RULE_TEMPLATE_ID, "settings_objects_read": len(group_settings)}
        return Verdict.failed(evidence, reason="no_settings_object")
    enforced = settings["EnableBannedPasswordCheck"]
    # The list is one string of tab-separated words; its contents stay out of the evidence.
    words = [w for w in (settings["BannedPasswordList"] or "").split("\t") if w.strip()]
    evidence = {"EnableBannedPasswordCheck": enforced, "banned_password_count": len(words)}
    if not is_true(enforced):
        return Verdict.failed(evidence, reason="custom_list_not_enforced")
    if not words:
        return Verdict.failed(evidence, reason="custom_list_empty")
    return Verdict.passed(evidence)
