"""What Microsoft's limits are counted over: any window of a given length, sliding, not aligned."""

from __future__ import annotations

import bisect

__all__ = ["most_in_any_window"]


def most_in_any_window(times: list[float], window_s: float) -> int:
    """The largest number of ``times`` inside one window of ``window_s`` seconds (sliding, not fixed)."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + window_s) - i for i, t in enumerate(times)), default=0)
