"""What ``/api/v1/customers`` answers (CONTRACT.md "HTTP"): one struct per direction, never an ORM row."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

__all__ = ["CustomerOut", "CustomersPage"]


class CustomerOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    tenant_id: str
    connection_state: str
    score: float | None
    grade: str | None
    coverage: float | None
    last_scan_at: dt.datetime | None
    last_scan_status: str | None
    open_critical: int
    open_high: int


class CustomersPage(msgspec.Struct):
    customers: list[CustomerOut]
    page: int
    pages: int
    total: int
