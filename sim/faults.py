"""Fault injection: latency, random failures and a per-tenant throttling budget.

``FaultConfig`` is plain data (settable when the server starts and at run time through
``SimState.set_faults`` or ``PUT /_sim/faults``); ``FaultInjector`` holds the moving parts (the
seeded RNG, the throttling windows) and answers one question per request: does this one fail, and
how?

Decisions, and why:
- One seeded ``random.Random`` for every draw, so a run with the same seed and the same request order
  fails the same requests the same way. Concurrent clients change the order, so only sequential runs
  are exactly reproducible; that is enough for tests and benchmarks.
- The mix of failures is a table of weights (429, 503, drop) rather than fixed rules, so a benchmark
  can ask for "only throttling" or "only dropped connections".
- 503 carries ``Retry-After`` only sometimes (``retry_after_on_503_share``): Graph does that, and a
  client must fall back to its own backoff when the header is missing.
- The throttling budget is counted per (tenant, service) in fixed 10-second windows: Graph counts
  per app and tenant per 10 s (identity and access limits), Exchange keeps its own budget; and, when
  set, per service across all tenants (Graph's per-app limit). Past a budget every request gets 429
  with ``Retry-After`` = the seconds left in the window (at least 1).
- A ``$batch`` sub-request cannot drop a connection (it has none of its own), so a drawn drop becomes
  a 504 for it; the ``$batch`` envelope itself can only be dropped (see ``sim.graph``).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Fault", "FaultConfig", "FaultInjector", "FaultKind"]

#: What an injected fault does to a request.
FaultKind = Literal["429", "503", "504", "drop"]

#: Length of a throttling window, in seconds (Graph counts its identity limits per 10 s).
WINDOW_S = 10.0


@dataclass(frozen=True)
class FaultConfig:
    """How the simulator misbehaves. The defaults make it behave perfectly.

    Attributes:
        latency_ms: added before every Graph and Exchange response (and identity, with
            ``include_identity``), in milliseconds.
        fault_rate: share (0..1) of requests that fail with a random fault from ``mix``.
        retry_after_s: the ``Retry-After`` value of injected 429s and 503s, in seconds.
        seed: seed of the RNG that picks failing requests and their kinds.
        mix: relative weights of the fault kinds ``"429"``, ``"503"`` and ``"drop"``.
        retry_after_on_503_share: share of injected 503s that carry ``Retry-After``.
        throttle_requests_per_10s: per-tenant, per-service budget of requests in each 10 s
            window; ``None`` for no budget.
        throttle_app_requests_per_10s: the same across every tenant (Graph's per-app limit, 130,000
            per 10 s); ``None`` for no budget.
        throttle_window_s: the budgets' window, 10 s as Graph's; tests shorten it to stay quick.
        include_identity: also apply latency and random faults (not the budget) to the identity
            endpoints (OpenID metadata, token, admin consent).
    """

    latency_ms: float = 0.0
    fault_rate: float = 0.0
    retry_after_s: int = 1
    seed: int = 0
    mix: Mapping[str, float] = field(default_factory=lambda: {"429": 0.5, "503": 0.3, "drop": 0.2})
    retry_after_on_503_share: float = 0.5
    throttle_requests_per_10s: int | None = None
    throttle_app_requests_per_10s: int | None = None
    throttle_window_s: float = WINDOW_S
    include_identity: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be between 0 and 1, not {self.fault_rate}")
        if self.latency_ms < 0 or self.retry_after_s < 0:
            raise ValueError("latency_ms and retry_after_s must not be negative")
        unknown = set(self.mix) - {"429", "503", "drop"}
        if unknown or not self.mix or any(w < 0 for w in self.mix.values()) or sum(self.mix.values()) <= 0:
            raise ValueError(f"mix must weigh '429', '503' and 'drop' with non-negative weights, not {dict(self.mix)}")
        for budget in (self.throttle_requests_per_10s, self.throttle_app_requests_per_10s):
            if budget is not None and budget < 1:
                raise ValueError("a throttling budget must be at least 1 (or None for no budget)")
        if self.throttle_window_s <= 0:
            raise ValueError("throttle_window_s must be positive")

    def to_json(self) -> dict[str, Any]:
        """The configuration as JSON-ready data (what ``GET /_sim/faults`` returns)."""
        data = asdict(self)
        data["mix"] = dict(self.mix)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], base: FaultConfig | None = None) -> FaultConfig:
        """A configuration from JSON fields; fields not given keep their value in ``base``.

        Raises:
            ValueError: on an unknown field or an invalid value.
        """
        current = (base or cls()).to_json()
        unknown = set(data) - set(current)
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        current.update(data)
        return cls(**current)


@dataclass(frozen=True)
class Fault:
    """One injected failure. ``retry_after_s`` is None when no ``Retry-After`` header is sent."""

    kind: FaultKind
    retry_after_s: int | None = None
    #: True when the per-tenant budget (not the random draw) caused it.
    is_budget: bool = False


class FaultInjector:
    """Decides, request by request, which ones fail. Thread-safe."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._config = config or FaultConfig()
        self._rng = random.Random(self._config.seed)
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration; the RNG restarts from the new seed and the windows are cleared."""
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)
            self._windows.clear()

    def draw(self, tenant_id: str, service: str, *, in_batch: bool = False, use_budget: bool = True) -> Fault | None:
        """The fault for one request to ``service`` ("graph", "exchange", "identity") of a tenant, if any.

        The budget is checked first (a throttled tenant stays throttled until its window ends),
        then the random draw. Inside a ``$batch`` a drawn drop becomes a 504.
        """
        with self._lock:
            config = self._config
            if use_budget:
                for key, budget in (((tenant_id, service), config.throttle_requests_per_10s),
                                    (("*", service), config.throttle_app_requests_per_10s)):
                    if budget is None:
                        continue
                    retry_after = self._spend(key, budget, config.throttle_window_s)
                    if retry_after is not None:
                        return Fault("429", retry_after, is_budget=True)
            if config.fault_rate <= 0 or self._rng.random() >= config.fault_rate:
                return None
            kinds = list(config.mix)
            kind = self._rng.choices(kinds, weights=[config.mix[k] for k in kinds])[0]
            if kind == "429":
                return Fault("429", config.retry_after_s)
            if kind == "503":
                with_header = self._rng.random() < config.retry_after_on_503_share
                return Fault("503", config.retry_after_s if with_header else None)
            return Fault("504") if in_batch else Fault("drop")

    def draw_drop(self) -> bool:
        """Whether a request that can only fail by dropping (a ``$batch`` envelope) drops."""
        with self._lock:
            config = self._config
            if config.fault_rate <= 0:
                return False
            share = config.mix.get("drop", 0.0) / sum(config.mix.values())
            return self._rng.random() < config.fault_rate * share

    def _spend(self, key: tuple[str, str], budget: int, window_s: float) -> int | None:
        now = time.monotonic()
        start, used = self._windows.get(key, (now, 0))
        if now - start >= window_s:
            start, used = now, 0
        if used >= budget:
            self._windows[key] = (start, used)
            return max(1, math.ceil(start + window_s - now))
        self._windows[key] = (start, used + 1)
        return None
