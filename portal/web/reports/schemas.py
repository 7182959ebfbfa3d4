"""What the reports API answers and takes: one struct per direction, never an ORM row."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

__all__ = ["ReportOut", "ReportRequestIn", "ReportsOut"]


class ReportOut(msgspec.Struct):
    id: uuid.UUID
    kind: str  # executive | fleet
    version: int
    status: str  # queued | ready | failed
    scan_id: uuid.UUID | None
    scan_started_at: dt.datetime | None
    requested_by: str
    requested_at: dt.datetime
    rendered_at: dt.datetime | None
    failure_reason: str | None
    pages: int | None
    bytes: int | None
    score: float | None
    grade: str | None
    download: str | None  # the PDF's path, once ready


class ReportsOut(msgspec.Struct):
    reports: list[ReportOut]


class ReportRequestIn(msgspec.Struct):
    note: str = ""
    scan_id: uuid.UUID | None = None  # None: the customer's latest scan
