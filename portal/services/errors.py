"""The portal's domain errors: one root and a shallow tree, split by what the caller does next.

::

    PortalError
     +-- NotFound       the object does not exist, or the caller's scope cannot see it (same answer:
     |                  row-level security makes the two indistinguishable, on purpose)
     +-- Forbidden      the caller sees the object but its role or tier does not allow the action
     +-- Conflict       the object's state does not allow the action now
     +-- InvalidInput   the request is malformed or out of range

The web layer maps them to HTTP statuses in one exception handler; the worker treats them as
permanent (retrying cannot make a missing row appear).
"""

from __future__ import annotations

__all__ = ["Conflict", "Forbidden", "InvalidInput", "NotFound", "PortalError"]


class PortalError(Exception):
    """Root of the portal's domain errors."""


class NotFound(PortalError):
    """The object does not exist or is outside the caller's scope."""


class Forbidden(PortalError):
    """The caller may see the object but not do this to it."""


class Conflict(PortalError):
    """The object's current state does not allow the action."""


class InvalidInput(PortalError):
    """The input is malformed or out of range."""
