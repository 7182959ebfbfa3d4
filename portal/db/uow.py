"""The unit of work: one transaction, scoped for row-level security, committed or rolled back whole.

Every request and every actor message opens exactly one. Its first statement sets the scope with
``set_config(..., true)``, transaction-local, never a session-level ``SET``, which would outlive
the transaction and leak into the next user of the pooled connection, and signs it with the
engine's scope key for this connection's backend (``portal.db.scope``): a statement that changes
the settings afterwards, or copies them from another connection, is refused by the database. It
commits when the block ends normally and rolls back on any exception; nothing else calls
``commit()``.

Callbacks registered with :meth:`UnitOfWork.after_commit` run only once the commit succeeded:
that is where messages to the broker are sent, so a worker never looks for a row that was rolled
back (the warehouse pattern in STYLE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from portal.db.engine import scope_key_of
from portal.db.scope import Scope, scope_signature

__all__ = ["UnitOfWork", "backend_pid", "unit_of_work"]

_SET_SCOPE = text(
    "SELECT set_config('app.msp_id', :msp_id, true), set_config('app.customer_ids', :customer_ids, true), "
    "set_config('app.user_id', :user_id, true), set_config('app.actor', :actor, true), "
    "set_config('app.scope_sig', :sig, true)"
)


@dataclass
class UnitOfWork:
    session: Session
    scope: Scope
    _after_commit: list[Callable[[], None]] = field(default_factory=list)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after a successful commit (never after a rollback)."""
        self._after_commit.append(callback)


def backend_pid(session: Session) -> int:
    """The PostgreSQL backend pid of the session's connection (read from libpq, no round trip)."""
    dbapi_connection = session.connection().connection.dbapi_connection
    return int(dbapi_connection.info.backend_pid)  # type: ignore[union-attr]


@contextmanager
def unit_of_work(engine: Engine, scope: Scope) -> Iterator[UnitOfWork]:
    """Open a scoped transaction; commit at the end of the block, roll back on error.

    Raises:
        RuntimeError: ``engine`` has no scope key (``portal.db.engine.make_engine``).
    """
    key = scope_key_of(engine)
    # A new Session per unit of work, no cached factory: a cache keyed by engine would keep every
    # engine (and its pool) alive after its owner disposed of it.
    session = Session(bind=engine, expire_on_commit=False)
    uow = UnitOfWork(session, scope)
    try:
        with session.begin():
            settings = scope.settings()
            signature = scope_signature(key, settings, backend_pid(session))
            session.execute(_SET_SCOPE, {**settings, "sig": signature})
            yield uow
        for callback in uow._after_commit:
            callback()
    finally:
        session.close()
