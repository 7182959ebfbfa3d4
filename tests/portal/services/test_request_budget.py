"""The request budgets' ledger in PostgreSQL: exact under races, closed to the web role, inert to hostile keys."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError

from portal.services.request_budget import PostgresLedger


def _count(owner_engine: Engine, key: str) -> int | None:
    with owner_engine.connect() as connection:
        return connection.execute(text("SELECT sum(used) FROM request_budget WHERE key = :k"), {"k": key}).scalar()


def test_workers_racing_for_a_slot_get_exactly_its_cap(app_engine: Engine, owner_engine: Engine):
    ledger, key, granted = PostgresLedger(app_engine), f"graph:requests:app:{uuid.uuid4()}", []

    def worker() -> None:
        granted.extend(ledger.take(key, 7, 1, 50) for _ in range(20))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert granted.count(True) == 50 and len(granted) == 160
    assert _count(owner_engine, key) == 50
    assert ledger.take(key, 8, 50, 50)  # the next slot starts empty
    assert not ledger.take(key, 8, 1, 50)


def test_a_hostile_key_is_only_a_key(app_engine: Engine, owner_engine: Engine):
    ledger, other = PostgresLedger(app_engine), f"graph:requests:tenant:{uuid.uuid4()}"
    assert ledger.take(other, 1, 5, 10)
    hostile = "x'); DELETE FROM request_budget; --"
    assert ledger.take(hostile, 1, 10, 10)
    assert not ledger.take(hostile, 1, 1, 10)
    assert _count(owner_engine, other) == 5
    assert _count(owner_engine, hostile) == 10


@pytest.mark.parametrize("statement", [
    "SELECT count(*) FROM request_budget",
    "INSERT INTO request_budget (key, slot, used) VALUES ('graph:requests:app', 1, 1)",
    "DELETE FROM request_budget",
])
def test_the_web_role_cannot_read_spend_or_clear_the_budgets(web_engine: Engine, statement: str):
    with pytest.raises(ProgrammingError, match="permission denied"), web_engine.begin() as connection:
        connection.execute(text(statement))


def test_the_worker_role_may_count_but_not_rewrite_which_key_or_slot_a_count_is(app_engine: Engine):
    with pytest.raises(ProgrammingError, match="permission denied"), app_engine.begin() as connection:
        connection.execute(text("UPDATE request_budget SET key = 'graph:requests:app', slot = 0"))
