"""Synthetic tenants: deterministic builders from (profile, seed, user count) to a ``sim.tenant.Tenant``.

Each profile (``secure``, ``typical``, ``neglected``, ``free``, ``revoked``, ``large``, ``hybrid``)
is a declarative ``Spec`` (``sim/profiles/<profile>.py``) whose knobs say how the tenant differs
from Microsoft's defaults, and whose ``fails`` lists the checks its intent makes fail, each traced to
the knob that causes it. Expected verdicts are written from that intent and the rules of
docs/catalogue-plan.md, never by running the scanner (``sim`` imports nothing of ours).

Decisions, and why:
- Dates are relative to ``now`` (default: the start of the current UTC hour, ``default_now``) because
  the scanner judges activity against the real clock; verdicts hold for weeks after a build, except
  the hybrid tenant's ``entra.hybrid.sync_recent`` (three days: rebuild long-lived hybrid tenants).
- Verdicts never depend on the seed or the user count (at least ``MIN_USERS``): the users that decide
  them are placed by the profile; seeded filler users are active, registered as the profile says,
  and never admins.
- ``/admin/sharepoint/settings`` is stored flat (no ``value`` wrapper); see ``_services``.
- PIM data is built for every tenant; the HTTP layer refuses PIM endpoints without Entra ID P2.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from types import MappingProxyType

from sim.profiles import free, hybrid, neglected, secure, typical
from sim.profiles._builder import MIN_USERS, build, default_tenant_id
from sim.profiles._catalogue import CHECK_IDS
from sim.profiles._context import default_now
from sim.profiles._spec import Spec
from sim.tenant import Tenant

__all__ = [
    "CHECK_IDS",
    "COMPANY_NAMES",
    "MIN_USERS",
    "PROFILES",
    "Profile",
    "build_fleet",
    "build_tenant",
    "default_now",
]


@dataclass(frozen=True)
class Profile:
    """What a profile is, for people and for callers choosing one."""

    name: str
    description: str
    default_users: int
    expected_status: str


_SPECS: dict[str, Spec] = {
    s.name: s
    for s in (secure.SPEC, typical.SPEC, neglected.SPEC, free.SPEC, typical.REVOKED, typical.LARGE, hybrid.SPEC)
}

#: Every profile by name.
PROFILES: MappingProxyType[str, Profile] = MappingProxyType({
    name: Profile(name, s.description, s.default_users, s.expected_status) for name, s in _SPECS.items()
})

#: Fictitious company names (Microsoft's sample names) for tenants built without a display name.
COMPANY_NAMES: tuple[str, ...] = (
    "Contoso", "Fabrikam", "Northwind Traders", "Adventure Works", "Tailspin Toys", "Wingtip Toys",
    "Woodgrove Bank", "Litware", "Proseware", "Alpine Ski House", "Coho Winery", "Fourth Coffee",
    "Lamna Healthcare", "Margie's Travel", "Relecloud", "Trey Research", "Wide World Importers",
    "Blue Yonder Airlines", "Humongous Insurance", "Lucerne Publishing", "VanArsdel", "Datum Corporation",
    "Bellows College", "Graphic Design Institute",
)

#: Profiles of a demo fleet, in order (``large`` is left out: 10,000 users per tenant is for benchmarks).
_FLEET_MIX = ("typical", "secure", "neglected", "free", "hybrid", "typical", "neglected", "revoked", "typical",
              "free", "secure", "neglected")


def build_tenant(profile: str, *, seed: int = 0, users: int | None = None, tenant_id: str | None = None,
                 display_name: str | None = None, now: dt.datetime | None = None) -> Tenant:
    """Build one synthetic tenant.

    Args:
        profile: a name in ``PROFILES``.
        seed: varies the filler users (names, ids, dates), never the verdicts.
        users: user objects in ``/users`` (placed, filler, guests and shared mailboxes); default the
            profile's ``default_users``; at least ``MIN_USERS``.
        tenant_id: default a uuid5 of profile and seed.
        display_name: default a sample company name chosen by profile and seed; the domains are
            ``<name>.onmicrosoft.com`` (default) and ``<name>.com`` (custom, verified).
        now: the reference time of every date in the tenant; default the start of the current UTC hour.

    Raises:
        KeyError: unknown profile.
        ValueError: fewer users than the profile places.
    """
    if profile not in _SPECS:
        raise KeyError(f"unknown profile {profile!r}; known: {', '.join(sorted(_SPECS))}")
    spec = _SPECS[profile]
    if display_name is None:
        display_name = COMPANY_NAMES[zlib.crc32(f"{profile}/{seed}".encode()) % len(COMPANY_NAMES)]
    return build(spec, seed=seed, users=users if users is not None else spec.default_users,
                 tenant_id=tenant_id or default_tenant_id(profile, seed), display_name=display_name,
                 now=now or default_now())


def build_fleet(count: int, seed: int = 0, *, now: dt.datetime | None = None) -> list[Tenant]:
    """A demo fleet of ``count`` tenants: a mix of profiles, distinct names, domains and ids.

    The mix cycles through typical, secure, neglected, free, hybrid and revoked tenants at their
    default sizes; names are sample company names (numbered once they run out).
    """
    moment = now or default_now()
    fleet = []
    for index in range(count):
        profile = _FLEET_MIX[index % len(_FLEET_MIX)]
        name = COMPANY_NAMES[(index + seed) % len(COMPANY_NAMES)]
        if index >= len(COMPANY_NAMES):
            name = f"{name} {index // len(COMPANY_NAMES) + 1}"
        fleet.append(build_tenant(profile, seed=seed * 10_000 + index, display_name=name, now=moment))
    return fleet
