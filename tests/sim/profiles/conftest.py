"""Shared builds for the profile tests: each profile built once per session at a fixed clock."""

from __future__ import annotations

import datetime as dt
from functools import cache

from sim.profiles import build_tenant
from sim.tenant import Tenant

#: The fixed reference time of the tenants these tests build.
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


@cache
def built(profile: str, seed: int = 0, users: int | None = None) -> Tenant:
    """A tenant built once and shared: tests must not change it."""
    return build_tenant(profile, seed=seed, users=users, now=NOW)
