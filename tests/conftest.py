"""Fixtures shared by the database, worker and end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from portal.db.engine import app_url, make_engine
from tests.support.database import test_database


@pytest.fixture(scope="session")
def owner_url() -> Iterator[str]:
    """Owner URL of a fresh database migrated to head (dropped after the session)."""
    with test_database() as url:
        yield url


@pytest.fixture(scope="session")
def owner_engine(owner_url: str) -> Iterator[Engine]:
    engine = make_engine(owner_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app_engine(owner_url: str) -> Iterator[Engine]:
    """Connected as the application role: row-level security applies to everything it does."""
    engine = make_engine(app_url(owner_url))
    yield engine
    engine.dispose()
