"""The Exchange fixtures keep the admin API's envelope, so the simulator and the checks agree on its shape."""

import json

import pytest

from tests.scanner.checks.exo.conftest import EXCHANGE_FIXTURES


@pytest.mark.parametrize("path", sorted(EXCHANGE_FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_fixture_is_an_invoke_command_response(path):
    body = json.loads(path.read_text())
    assert body["@odata.context"].endswith("$metadata#Collection(Exchange.GenericHashTable)")
    assert body["@adminapi.warnings"] == []
    assert body["value"] and all("Identity" in o for o in body["value"])
