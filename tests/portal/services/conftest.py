"""The simulator for the service tests that run real scans (``run_scan`` in-process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.portal.services.support import SimWorld, sim_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimWorld]:
    with sim_world(tmp_path_factory.mktemp("sim")) as started:
        yield started
