"""The garbage collector's thresholds for a process that scans.

A scan holds tens of thousands of freshly decoded JSON objects (dicts and lists, never in a cycle).
With CPython's default thresholds (700, 10, 10) the cyclic collector walks them again and again
while they are being decoded: about a third of a 10,000-user scan's CPU, for nothing it can free
(reference counting frees a scan's data when the scan ends). A first generation of 50,000
allocations makes those walks rare; cycles elsewhere are still found, a little later, and the
extra young objects held meanwhile are a few megabytes at most.

The scanner never changes a process's collector by itself: the processes that scan (the workers,
``posture scan``, the benchmarks) call :func:`tune_collector_for_scans` once when they start.
"""

from __future__ import annotations

import gc

__all__ = ["SCAN_GC_THRESHOLDS", "tune_collector_for_scans"]

#: Collector thresholds for scanning processes (first generation raised, the others as CPython's).
SCAN_GC_THRESHOLDS = (50_000, 10, 10)


def tune_collector_for_scans() -> None:
    """Raise the collector's first threshold for this process (idempotent; never lowers a higher one)."""
    if gc.get_threshold()[0] < SCAN_GC_THRESHOLDS[0]:
        gc.set_threshold(*SCAN_GC_THRESHOLDS)
