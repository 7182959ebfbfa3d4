"""The unit of work's own promises: it keeps no engine alive, and refuses an engine without a scope key."""

from __future__ import annotations

import gc
import uuid
import weakref

import pytest
from sqlalchemy import text

from portal.db.engine import make_engine, role_url
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from tests.conftest import ROLES


def test_an_engine_dropped_by_its_owner_is_not_kept_alive_by_the_unit_of_work(owner_url: str,
                                                                              scope_key: bytes) -> None:
    engine = make_engine(role_url(owner_url, ROLES.worker), pool_size=1, scope_key=scope_key)
    with unit_of_work(engine, Scope.for_msp(uuid.uuid4())) as uow:
        assert uow.session.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()
    alive = weakref.ref(engine)
    del engine, uow
    gc.collect()

    assert alive() is None


def test_an_engine_without_a_scope_key_cannot_open_a_unit_of_work(owner_url: str) -> None:
    engine = make_engine(role_url(owner_url, ROLES.worker), pool_size=1)
    try:
        with pytest.raises(RuntimeError, match="no scope key"), unit_of_work(engine, Scope.for_msp(uuid.uuid4())):
            pass
    finally:
        engine.dispose()
