"""What ``/api/v1/customers`` answers (CONTRACT.md "HTTP"): one struct per direction, never an ORM row."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

__all__ = ["CustomerOut", "CustomersPage", "FleetSummaryOut"]


class CustomerOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    tenant_id: str | None  # None until the tenant's administrator consents
    connection_state: str
    score: float | None
    grade: str | None
    coverage: float | None
    last_scan_at: dt.datetime | None
    last_scan_status: str | None
    open_critical: int
    open_high: int
    new_since_last_scan: int
    score_change_7d: float | None
    last_successful_scan_at: dt.datetime | None
    stale: bool
    access_tier: str
    tags: list[str]


class FleetSummaryOut(msgspec.Struct):
    """The KPI cards of the fleet page, over every customer the filters match."""

    customers: int
    average_score: float | None
    open_critical: int
    disconnected: int
    stale: int


class CustomersPage(msgspec.Struct):
    customers: list[CustomerOut]
    page: int
    pages: int
    total: int
    summary: FleetSummaryOut
