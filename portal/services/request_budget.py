"""The request budgets' ledger in PostgreSQL: one count per budget key and slot, shared by every
worker process on every host that uses the same database (``scanner._budget`` explains the slots).

One statement per lease: an upsert that adds the units only if the slot's count stays within its
cap, so two processes racing for the last units of a slot cannot both get them (the row lock of
``ON CONFLICT DO UPDATE`` orders them). Every few hundred leases the rows of slots long past are
deleted by the same process.
"""

from __future__ import annotations

import random

from sqlalchemy import Engine, text

__all__ = ["PostgresLedger"]

_TAKE = text(
    "INSERT INTO request_budget AS b (key, slot, used) VALUES (:key, :slot, :units) "
    "ON CONFLICT (key, slot) DO UPDATE SET used = b.used + EXCLUDED.used "
    "WHERE b.used + EXCLUDED.used <= :cap RETURNING used")
_PRUNE = text("DELETE FROM request_budget WHERE taken_at < now() - interval '5 minutes'")
#: One lease in this many also deletes old slots.
_PRUNE_EVERY = 500


class PostgresLedger:
    """``scanner._budget.Ledger`` on the ``request_budget`` table (migration 0027), as the worker role."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def take(self, key: str, slot: int, units: int, cap: int) -> bool:
        if units > cap:
            return False
        with self._engine.begin() as connection:
            granted = connection.execute(_TAKE, {"key": key, "slot": slot, "units": units, "cap": cap}).first()
            if random.randrange(_PRUNE_EVERY) == 0:
                connection.execute(_PRUNE)
        return granted is not None
