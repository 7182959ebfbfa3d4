"""What every builder shares while one tenant is built: its names, its clock and its id source.

Decision: dates are relative to ``now``, which defaults to the start of the current UTC hour
(``default_now``), because the scanner judges activity against the real clock. A tenant is
identical for identical arguments within the hour (pass ``now`` for bit-for-bit reproducibility).
Verdicts hold for weeks after ``now``: active accounts signed in at most 5 days before it, stale
ones 150 days or more, secrets expire months later; the one exception is a hybrid tenant's last
directory sync (30 minutes before ``now``), which the scanner accepts for three days.

Ids are uuid5 values derived from the tenant id and a key, so a placed object keeps its id
whatever the user count; filler objects draw theirs from the seeded random generator.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

__all__ = ["NAMESPACE", "Context", "default_now", "iso"]

#: Namespace of every uuid5 the profiles derive (tenant ids included).
NAMESPACE = uuid.UUID("6f1d5c1e-3b7a-5d2e-9c4f-0a8b7e6d5c4b")


def default_now() -> dt.datetime:
    """The start of the current UTC hour: the default reference time of a built tenant."""
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def iso(moment: dt.datetime) -> str:
    """Graph's timestamp format (``2024-12-10T17:38:26Z``)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Context:
    """Names, clock and id source of the tenant being built."""

    tenant_id: str
    display_name: str
    slug: str
    now: dt.datetime
    rng: random.Random
    _ids: dict[str, str] = field(default_factory=dict)

    @property
    def initial_domain(self) -> str:
        return f"{self.slug}.onmicrosoft.com"

    @property
    def custom_domain(self) -> str:
        return f"{self.slug}.com"

    def uid(self, *parts: str) -> str:
        """A stable id for the object named by ``parts`` in this tenant."""
        key = "/".join(parts)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = str(uuid.uuid5(NAMESPACE, f"{self.tenant_id}/{key}"))
        return found

    def random_id(self) -> str:
        """A fresh id from the seeded generator (for filler objects)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ago(self, days: float) -> str:
        """The timestamp ``days`` before ``now``."""
        return iso(self.now - dt.timedelta(days=days))

    def ahead(self, days: float) -> str:
        """The timestamp ``days`` after ``now``."""
        return iso(self.now + dt.timedelta(days=days))
