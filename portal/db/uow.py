"""The unit of work: one transaction, scoped for row-level security, committed or rolled back whole.

Every request and every actor message opens exactly one. Its first statement sets the scope with
``set_config(..., true)``, transaction-local, never a session-level ``SET``, which would outlive
the transaction and leak into the next user of the pooled connection. It commits when the block
ends normally and rolls back on any exception; nothing else calls ``commit()``.

Callbacks registered with :meth:`UnitOfWork.after_commit` run only once the commit succeeded:
that is where messages to the broker are sent, so a worker never looks for a row that was rolled
back (the warehouse pattern in STYLE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from portal.db.scope import Scope

__all__ = ["UnitOfWork", "unit_of_work"]

_SET_SCOPE = text(
    "SELECT set_config('app.msp_id', :msp_id, true), set_config('app.customer_ids', :customer_ids, true)"
)


@dataclass
class UnitOfWork:
    session: Session
    scope: Scope
    _after_commit: list[Callable[[], None]] = field(default_factory=list)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after a successful commit (never after a rollback)."""
        self._after_commit.append(callback)


_factories: dict[int, sessionmaker[Session]] = {}


def _factory(engine: Engine) -> sessionmaker[Session]:
    key = id(engine)
    if key not in _factories:
        _factories[key] = sessionmaker(bind=engine, expire_on_commit=False)
    return _factories[key]


@contextmanager
def unit_of_work(engine: Engine, scope: Scope) -> Iterator[UnitOfWork]:
    """Open a scoped transaction; commit at the end of the block, roll back on error."""
    session = _factory(engine)()
    uow = UnitOfWork(session, scope)
    try:
        with session.begin():
            session.execute(_SET_SCOPE, {"msp_id": str(scope.msp_id), "customer_ids": scope.customer_setting()})
            yield uow
        for callback in uow._after_commit:
            callback()
    finally:
        session.close()
