"""What ``/api/v1/drift`` answers (CONTRACT.md "HTTP"): one struct per direction, never an ORM row."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from portal.web.search.schemas import CustomerRef

__all__ = ["ChangeOut", "DriftOut"]


class ChangeOut(msgspec.Struct):
    customer: CustomerRef
    check_id: str
    title: str
    severity: str
    kind: str  # new, regressed or fixed (net over the period)
    from_status: str | None  # the verdict before the period: pass, fail, or null (never seen)
    to_status: str
    observed_at: dt.datetime  # the scan that made the last step of the change
    scan_id: uuid.UUID
    accepted: bool  # failing, with a standing acceptance


class DriftOut(msgspec.Struct):
    period: str  # last_scan, week or since
    since: dt.datetime | None
    counts: dict[str, int]
    customers: int
    truncated: bool
    changes: list[ChangeOut]
