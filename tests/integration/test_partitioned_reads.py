"""Large tenants read the sign-in list in UPN ranges side by side: the same verdicts as a whole read.

Every scanned profile at 2,000 users (three partitions) over HTTPS, with and without injected
faults, against the verdicts each profile declares (written from the rules, not from the scanner);
and a Graph that refuses the ranges (a tenant where the documented filter is not honoured) is read
whole, with the same verdicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

import pytest

from scanner.checks import Status, TenantConfig
from sim import FaultConfig
from sim.graph import _odata
from sim.profiles import PROFILES
from tests.integration.conftest import World, cleaned, serving_profiles

USERS = 2_000
SCANNED = sorted(p for p in PROFILES if PROFILES[p].expected_status != "disconnected" and p != "large")
SIGN_IN_CHECKS = ["users.inactive_members", "users.inactive_guests", "entra.roles.stale_admins"]


@pytest.fixture(scope="module")
def big_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with serving_profiles(tmp_path_factory.mktemp("sim-ca-big"), dict.fromkeys(SCANNED, USERS), seed=50,
                          label="Big") as world:
        yield world


@pytest.fixture
def world(big_world: World) -> Iterator[World]:
    with cleaned(big_world):
        yield big_world


def _range_reads(world: World, tenant_id: str) -> list[str]:
    return [unquote(line["path"]) for line in world.state.log.lines()
            if line["tenant"] == tenant_id and "signInActivity" in unquote(line["path"])]


def _verdicts(result) -> dict[str, str]:
    return {r.id: r.status.value for r in result.checks}


@pytest.mark.parametrize("profile", SCANNED)
async def test_a_partitioned_scan_matches_the_declared_verdicts(world: World, profile: str):
    tenant = world.tenants[profile]
    result = await world.scan(profile)

    got = _verdicts(result)
    assert {cid: (want, got.get(cid)) for cid, want in tenant.expected.items() if got.get(cid) != want} == {}
    assert {r.id: r.reason for r in result.checks if r.reason != tenant.expected_reasons.get(r.id)} == {}
    reads = _range_reads(world, tenant.id)
    if tenant.expected.get("users.inactive_members") != "not_applicable":
        # Read in ranges (the proof the faster path ran), never whole.
        assert any("userPrincipalName ge" in r for r in reads), reads[:3]
        assert not any("$filter" not in r and "$skiptoken" not in r for r in reads)


@pytest.mark.parametrize("profile", ["typical", "neglected"])
async def test_faults_in_the_ranges_never_turn_into_a_false_verdict(world: World, profile: str):
    world.state.set_faults(FaultConfig(fault_rate=0.2, retry_after_s=1, seed=11))
    result = await world.scan(profile, config=TenantConfig(break_glass_ids=frozenset(world.tenants[profile]
                                                                                     .break_glass_ids)))
    expected = world.tenants[profile].expected
    assert sum(world.state.log.total(k) for k in ("fault_429", "fault_503", "fault_504", "fault_drop")) > 0
    for r in result.checks:
        assert r.status.value in (expected[r.id], Status.ERROR.value), (r.id, r.status, r.reason)
    # The sign-in checks are the partitioned ones: with retries they must have their real verdicts.
    assert {cid: _verdicts(result)[cid] for cid in SIGN_IN_CHECKS} == {cid: expected[cid] for cid in SIGN_IN_CHECKS}


async def test_a_graph_that_refuses_the_ranges_is_read_whole(world: World, monkeypatch: pytest.MonkeyPatch):
    # As if Graph did not honour the documented ge/le on userPrincipalName: each range answers 400.
    monkeypatch.setattr(_odata, "ORDERED_PROPERTIES", frozenset())
    tenant = world.tenants["typical"]
    result = await world.scan("typical")

    got = _verdicts(result)
    assert {cid: got[cid] for cid in SIGN_IN_CHECKS} == {cid: tenant.expected[cid] for cid in SIGN_IN_CHECKS}
    assert result.status == "completed"
    reads = _range_reads(world, tenant.id)
    assert any("userPrincipalName ge" in r for r in reads)  # tried
    assert any("$filter" not in r for r in reads)  # then read whole
