"""Reading the output of Exchange cmdlets as the admin API returns it.

Organisation-wide cmdlets (``Get-TransportConfig``, ``Get-OrganizationConfig``, ``Get-AdminAuditLogConfig``)
return exactly one object. Anything else means the response is not what we think it is, so it is raised as
``KeyError``, which the runner reports as ``error`` with reason ``malformed_data``, rather than guessed at.
"""

from __future__ import annotations

from typing import Any

__all__ = ["single_object"]


def single_object(items: list[dict[str, Any]], cmdlet: str) -> dict[str, Any]:
    """The one object an organisation-wide cmdlet returns.

    Raises:
        KeyError: the cmdlet returned no object or more than one.
    """
    if len(items) != 1:
        raise KeyError(f"{cmdlet} returned {len(items)} objects; expected the single organisation object")
    return items[0]
