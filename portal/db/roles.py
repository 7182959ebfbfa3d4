"""The database roles the service logs in as, and the one that owns its definer functions.

Three roles, named ``<prefix>_web``, ``<prefix>_worker`` and ``<prefix>_definer`` (prefix
``posture`` unless configured, ``POSTURE_DATABASE_ROLE_PREFIX``). Roles are cluster-wide in
PostgreSQL, so two databases on one server (staging and production) that must not share passwords
take different prefixes; grants are per database, so sharing a prefix is safe otherwise.

- **web**: the portal. Reads what pages show, creates customers and queues scans; cannot write
  scan results, read the broker's queue, or touch password hashes.
- **worker**: Dramatiq workers. Runs scans and writes their results, the projection and the trend;
  reads and consumes the queue; never sees users or memberships.
- **definer**: logs in never; owns the few ``SECURITY DEFINER`` functions (scope check, MSP ids
  for the scheduler, account changes), so a function's rights are that role's handful of grants,
  not the owner's.

docs/security.md has the full grant table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_PREFIX", "DatabaseRoles"]

DEFAULT_PREFIX = "posture"
_PREFIX = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


@dataclass(frozen=True)
class DatabaseRoles:
    """Role names for one deployment.

    Raises:
        ValueError: a prefix that is not a plain lower-case identifier (it is spliced into SQL).
    """

    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.prefix):
            raise ValueError(f"database role prefix {self.prefix!r}: use lower-case letters, digits and _ "
                             "(at most 41, not starting with a digit)")

    @property
    def web(self) -> str:
        return f"{self.prefix}_web"

    @property
    def worker(self) -> str:
        return f"{self.prefix}_worker"

    @property
    def definer(self) -> str:
        return f"{self.prefix}_definer"

    def as_dict(self) -> dict[str, str]:
        """What the migrations read (``config.attributes["roles"]``): kind to role name."""
        return {"web": self.web, "worker": self.worker, "definer": self.definer}
