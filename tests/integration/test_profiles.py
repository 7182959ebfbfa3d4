"""Full scans of every simulator profile over HTTPS match the verdicts each profile declares."""

from __future__ import annotations

import pytest

from scanner.checks import Status, catalogue
from sim import FaultConfig
from sim.profiles import CHECK_IDS, PROFILES
from tests.integration.conftest import World

SCANNED = sorted(p for p in PROFILES if PROFILES[p].expected_status != "disconnected")


def test_simulator_declares_verdicts_for_exactly_the_catalogue():
    assert sorted(CHECK_IDS) == sorted(c.id for c in catalogue())


@pytest.mark.parametrize("profile", SCANNED)
async def test_scan_matches_expected_verdicts(clean_world: World, profile: str):
    result = await clean_world.scan(profile)
    tenant = clean_world.tenants[profile]
    got = {r.id: r.status.value for r in result.checks}
    mismatches = {cid: (want, got.get(cid)) for cid, want in tenant.expected.items() if got.get(cid) != want}
    assert mismatches == {}
    # Every reason too: the ones the profile declares (licence gates, and the reasons of its passes and
    # failures), and no reason where it declares none.
    reasons = {r.id: r.reason for r in result.checks}
    wrong = {cid: (tenant.expected_reasons.get(cid), got) for cid, got in reasons.items()
             if got != tenant.expected_reasons.get(cid)}
    assert wrong == {}
    assert result.status == PROFILES[profile].expected_status
    assert result.tenant.id == tenant.id and result.tenant.name == tenant.display_name


async def test_revoked_tenant_is_disconnected(clean_world: World):
    result = await clean_world.scan("revoked")
    assert result.status == "disconnected"
    assert result.checks == ()
    assert (result.error or "").startswith("consent_missing: ")
    assert "AADSTS700016" in (result.error or "")


@pytest.mark.parametrize("profile", ["typical", "secure", "neglected"])
async def test_faults_never_turn_into_a_false_verdict(clean_world: World, profile: str):
    clean_world.state.set_faults(FaultConfig(fault_rate=0.2, retry_after_s=1, seed=7))
    result = await clean_world.scan(profile)
    expected = clean_world.tenants[profile].expected
    injected = sum(clean_world.state.log.total(k) for k in ("fault_429", "fault_503", "fault_504", "fault_drop"))
    assert injected > 0, "the simulator injected faults"
    for r in result.checks:
        # Retries win, or the check says it could not read: never a pass (or fail) it did not earn.
        assert r.status.value in (expected[r.id], Status.ERROR.value), (r.id, r.status, r.reason)
    errored = [r for r in result.checks if r.status is Status.ERROR]
    assert result.status == ("partial" if errored else "completed")
    assert result.stats.retries > 0
