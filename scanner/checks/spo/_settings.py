"""The SharePoint tenant settings entity, in either of the shapes it arrives in.

``GET /admin/sharepoint/settings`` returns a single ``sharepointSettings`` entity. Microsoft's documentation
example (``sharepointsettings-get.md``) nests it under ``value``, as a collection would be; a single entity is
normally serialised at the top level. Until a live tenant settles which one Graph sends, the SharePoint checks
accept both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["tenant_settings"]


def tenant_settings(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``sharepointSettings`` properties from the ``sharepoint_settings`` collection."""
    nested = body.get("value")
    if isinstance(nested, Mapping):
        return nested
    return body
