"""Reading the tenant-wide directory settings objects returned by ``GET /groupSettings``.

Each object was created from a template (``templateId``) and carries its settings as a list of
``{"name", "value"}`` pairs whose values are all strings ("True", "false", "10", ""). A template with no object
means the tenant runs on the template's defaults, which each check interprets for itself.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PASSWORD_RULE_TEMPLATE_ID", "UNIFIED_GROUP_TEMPLATE_ID", "is_true", "settings_for_template"]

#: "Group.Unified": Microsoft 365 group creation, naming, guests.
UNIFIED_GROUP_TEMPLATE_ID = "62375ab9-6b52-47ed-826b-58e47e0e304b"
#: "Password Rule Settings": banned passwords and smart lockout.
PASSWORD_RULE_TEMPLATE_ID = "5cf42378-d67d-4f36-ba46-e8b86229381d"


def settings_for_template(group_settings: list[dict[str, Any]], template_id: str) -> dict[str, str | None] | None:
    """The name-to-value map of the settings object made from ``template_id``, or ``None`` if the tenant has none.

    Template ids are GUIDs, so they are compared case-insensitively.
    """
    for item in group_settings:
        if item["templateId"].lower() == template_id.lower():
            return {pair["name"]: pair["value"] for pair in item["values"]}
    return None


def is_true(value: str | None) -> bool:
    """Whether a setting's string value means true; Graph writes both "True" and "true"."""
    return value is not None and value.strip().lower() == "true"
