"""How the scans service hands a scan to the queue, without knowing the queue.

``portal`` must not import ``worker`` (imports point one way), so services that enqueue take a
``ScanQueue`` from their caller: the worker passes one that sends the ``scan_tenant`` actor message,
the web app factory passes the same, tests pass a list's ``append``-like recorder. Messages carry ids
only (STYLE.md "Actors"): under row-level security a worker cannot look the scope up first.
"""

from __future__ import annotations

import uuid
from typing import Protocol

__all__ = ["ScanQueue"]


class ScanQueue(Protocol):
    """Send one "scan this tenant" message. Called after commit, never inside a transaction."""

    def __call__(self, *, scan_id: uuid.UUID, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None: ...
