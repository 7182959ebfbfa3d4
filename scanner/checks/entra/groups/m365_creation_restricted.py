"""Only a chosen group of people can create Microsoft 365 groups (and with them Teams and SharePoint sites).

Decision: when the tenant has no Group.Unified settings object, Microsoft's default applies and everyone can
create groups, so the check fails with reason ``no_settings_object`` (CIS 5.1.3.4 audit). The value is compared
case-insensitively because both "false" and "False" occur in the wild (ScubaGear's samples show "False").
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.groups._directory_settings import UNIFIED_GROUP_TEMPLATE_ID, settings_for_template

META = CheckMeta(
    id="entra.groups.m365_creation_restricted",
    title="Microsoft 365 group creation is restricted",
    area="Groups",
    severity=Severity.LOW,
    collections=("group_settings",),
    references=("CIS M365 v7.0 5.1.3.4", "MT.1055"),
    rationale=(
        "Every Microsoft 365 group brings a mailbox, a SharePoint site and often a Team; when anyone can create "
        "them, data spreads into unowned, unclassified places that nobody reviews or retires."
    ),
    remediation=(
        "Create the Group.Unified directory setting with EnableGroupCreation = false and GroupCreationAllowedGroupId "
        "= the id of a security group of allowed creators: with Microsoft Graph, POST /groupSettings from template "
        "62375ab9-6b52-47ed-826b-58e47e0e304b, or PATCH the existing object."
    ),
    decision="No Group.Unified settings object means Microsoft's default (anyone may create groups): fail.",
)


def evaluate(data: Collected) -> Verdict:
    group_settings = data["group_settings"]
    settings = settings_for_template(group_settings, UNIFIED_GROUP_TEMPLATE_ID)
    if settings is None:
        evidence = {"templateId": UNIFIED_GROUP_TEMPLATE_ID, "settings_objects_read": len(group_settings)}
        return Verdict.failed(evidence, reason="no_settings_object")
    enable_creation = settings["EnableGroupCreation"]
    evidence = {"EnableGroupCreation": enable_creation}
    if "GroupCreationAllowedGroupId" in settings:
        # Who may still create groups: worth showing, but not part of the rule.
        evidence["GroupCreationAllowedGroupId"] = settings["GroupCreationAllowedGroupId"]
    if enable_creation is not None and enable_creation.strip().lower() == "false":
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
