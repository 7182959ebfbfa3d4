"""Finding one method's configuration in the authentication methods policy.

``authenticationMethodConfigurations`` is a list keyed by ``id`` (``Fido2``, ``MicrosoftAuthenticator``,
``Sms``, ``Voice``, ``Email``, ``TemporaryAccessPass``...). Ids are compared case-insensitively: Graph
writes them in PascalCase, while Maester and the per-method endpoint use ``fido2``-style ids.
"""

from __future__ import annotations

from typing import Any

__all__ = ["configurations", "method_configuration"]


def configurations(policy: dict[str, Any], method_ids: set[str]) -> list[dict[str, Any]]:
    """The configurations whose id is one of ``method_ids`` (any case), in policy order."""
    wanted = {m.lower() for m in method_ids}
    return [c for c in policy["authenticationMethodConfigurations"] if c["id"].lower() in wanted]


def method_configuration(policy: dict[str, Any], method_id: str) -> dict[str, Any]:
    """The configuration of one method.

    Raises:
        KeyError: the policy does not list the method. Graph lists every built-in method, so this
            means the response is not what we expect (the runner reports ``malformed_data``).
    """
    found = configurations(policy, {method_id})
    if not found:
        raise KeyError(f"authenticationMethodConfigurations has no {method_id!r} entry")
    return found[0]
