"""Reading a sharing policy's ``Domains``: entries of the form ``domain:Action1,Action2``.

``*`` as (or in) the domain means every external domain; ``Anonymous`` is anonymous calendar
publishing, a different feature. ScubaGear's MS.EXO.6.1v1 and 6.2v1 fail an entry whose text holds
both ``*`` and the action's name, so a wildcard in any form (``*``, ``*.contoso.com``) counts here too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["shared_with_all_domains"]


def shared_with_all_domains(policies: list[dict[str, Any]], action: str) -> list[str]:
    """Names of the policies with an entry sharing ``action`` (``Contacts``, ``Calendar``) with ``*``.

    Raises:
        KeyError: a policy without ``Name`` or ``Domains``.
    """
    found = []
    for policy in policies:
        for entry in policy["Domains"] or ():
            domain, _, actions = entry.partition(":")
            if "*" in domain and action in actions:
                found.append(policy["Name"])
                break
    return found
