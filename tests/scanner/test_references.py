"""Every SCuBA policy a check cites exists in the baselines (``scanner.scuba_policies``), at its version."""

from __future__ import annotations

from scanner import catalogue
from scanner.scuba_policies import SCUBA_POLICY_IDS, product_of


def _cited() -> dict[str, list[str]]:
    cited: dict[str, list[str]] = {}
    for check in catalogue():
        for reference in check.meta.references:
            if reference.startswith("MS."):
                cited.setdefault(reference, []).append(check.meta.id)
    return cited


def test_every_cited_scuba_policy_is_in_the_baselines() -> None:
    unknown = {ref: checks for ref, checks in _cited().items() if ref not in SCUBA_POLICY_IDS}
    assert unknown == {}, "cite only current SCuBA policy ids, with their version (scanner/scuba_policies.py)"


def test_retired_and_misread_policies_are_not_cited() -> None:
    cited = _cited()
    assert "MS.EXO.17.1v1" not in cited  # retired into MS.SECURITYSUITE.5.1v1 (April 2026)
    assert "MS.AAD.8.3v1" not in cited  # the invitation allow-list: nothing here implements it
    assert cited["MS.SECURITYSUITE.5.1v1"] == ["exo.audit.unified_audit_log"]
    assert cited["MS.EXO.13.1v1"] == ["exo.audit.mailbox_auditing"]
    assert cited["MS.EXO.1.1v2"] == ["exo.forwarding.remote_domains"]


def test_the_list_is_well_formed() -> None:
    assert all(ref.startswith("MS.") and "v" in ref.rsplit(".", 1)[1] for ref in SCUBA_POLICY_IDS)
    assert {product_of(ref) for ref in SCUBA_POLICY_IDS} == {
        "AAD", "EXO", "SECURITYSUITE", "SHAREPOINT", "TEAMS", "POWERPLATFORM", "POWERBI"}
    # One version per policy: "3.2v1" and "3.2v2" together would be a copying mistake.
    assert len({ref.rsplit("v", 1)[0] for ref in SCUBA_POLICY_IDS}) == len(SCUBA_POLICY_IDS)
