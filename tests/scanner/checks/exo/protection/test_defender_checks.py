"""Defender for Office 365 checks: Safe Attachments (MS.SECURITYSUITE.1.3, 1.4) and Safe Links (7.1 to
7.3), with expected verdicts from SecuritySuiteConfig.rego."""

import pytest

from scanner.checks import Status
from scanner.checks.exo.protection import (
    domain_impersonation,
    safe_attachments_block,
    safe_attachments_files,
    safe_links_click_tracking,
    safe_links_everywhere,
    safe_links_scan_downloads,
    safety_tips,
)
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import by_identity, exchange_value

BUILT_IN = "Built-In Protection Policy"


def _rules():
    return {"exo_eop_rules": exchange_value("Get-EOPProtectionPolicyRule"),
            "exo_atp_rules": exchange_value("Get-ATPProtectionPolicyRule")}


def _safe_links(check, **built_in):
    policies = exchange_value("Get-SafeLinksPolicy")
    by_identity(policies, BUILT_IN).update(built_in)
    return run(check, exo_safe_links_policies=policies, **_rules())


def test_the_built_in_safe_links_policy_skips_internal_mail_and_fails_7_1():
    verdict = _safe_links(safe_links_everywhere)
    assert (verdict.status, verdict.evidence["failing"]) == (Status.FAIL, {BUILT_IN: "off:EnableForInternalSenders"})
    assert _safe_links(safe_links_everywhere, EnableForInternalSenders=True).status is Status.PASS


@pytest.mark.parametrize(("check", "switch"), [
    (safe_links_everywhere, "EnableSafeLinksForTeams"),
    (safe_links_scan_downloads, "ScanUrls"),
    (safe_links_scan_downloads, "DeliverMessageAfterScan"),
    (safe_links_click_tracking, "TrackClicks"),
])
def test_each_switch_off_fails_its_policy(check, switch):
    verdict = _safe_links(check, EnableForInternalSenders=True, **{switch: False})
    assert (verdict.status, verdict.affected) == (Status.FAIL, [BUILT_IN])
    assert _safe_links(check, EnableForInternalSenders=True).status is Status.PASS


def test_a_preset_for_everyone_in_both_rules_leaves_the_built_in_policy_unjudged():
    rules = _rules()
    for rule_set in rules.values():
        by_identity(rule_set, "Standard Preset Security Policy")["RecipientDomainIs"] = None
    policies = exchange_value("Get-SafeLinksPolicy")
    assert run(safe_links_everywhere, exo_safe_links_policies=policies, **rules).status is Status.PASS
    by_identity(rules["exo_atp_rules"], "Standard Preset Security Policy")["RecipientDomainIs"] = ["contoso.com"]
    assert run(safe_links_everywhere, exo_safe_links_policies=policies, **rules).status is Status.FAIL


@pytest.mark.parametrize(("change", "problem"), [
    ({"Action": "Allow"}, "action:Allow"), ({"Action": "Replace"}, "action:Replace"), ({"Enable": False}, "policy_off"),
])
def test_safe_attachments_that_deliver_malware_fail_1_3(change, problem):
    policies = exchange_value("Get-SafeAttachmentPolicy")
    assert run(safe_attachments_block, exo_safe_attachment_policies=policies, **_rules()).status is Status.PASS
    by_identity(policies, BUILT_IN).update(change)
    verdict = run(safe_attachments_block, exo_safe_attachment_policies=policies, **_rules())
    assert verdict.evidence["failing"] == {BUILT_IN: problem}


def test_dynamic_delivery_complies_with_1_3():
    policies = exchange_value("Get-SafeAttachmentPolicy")
    by_identity(policies, BUILT_IN)["Action"] = "DynamicDelivery"
    assert run(safe_attachments_block, exo_safe_attachment_policies=policies, **_rules()).status is Status.PASS


def test_files_in_sharepoint_onedrive_and_teams_are_scanned_only_when_switched_on():
    policies = exchange_value("Get-AtpPolicyForO365")
    assert run(safe_attachments_files, exo_atp_o365_policies=policies).status is Status.FAIL
    policies[0]["EnableATPForSPOTeamsODB"] = True
    assert run(safe_attachments_files, exo_atp_o365_policies=policies).status is Status.PASS


DEFAULT_ANTIPHISH = "Office365 AntiPhish Default"


def _antiphish(check, rules=None, **default):
    policies = exchange_value("Get-AntiPhishPolicy")
    by_identity(policies, DEFAULT_ANTIPHISH).update(default)
    return run(check, exo_antiphish_policies=policies, **(rules or _rules()))


def test_the_default_anti_phishing_policy_as_shipped_fails_2_2_and_2_4():
    verdict = _antiphish(domain_impersonation)
    assert verdict.evidence["failing"] == {DEFAULT_ANTIPHISH: "own_domains_not_protected"}
    tips = _antiphish(safety_tips)
    assert tips.evidence["failing"] == {DEFAULT_ANTIPHISH: "off:EnableFirstContactSafetyTips,"
                                        "EnableSimilarUsersSafetyTips,EnableSimilarDomainsSafetyTips,"
                                        "EnableUnusualCharactersSafetyTips"}


@pytest.mark.parametrize("action", ["NoAction", "BccMessage"])
def test_domain_impersonation_that_still_delivers_fails_2_2(action):
    verdict = _antiphish(domain_impersonation, EnableOrganizationDomainsProtection=True,
                         TargetedDomainProtectionAction=action)
    assert verdict.evidence["failing"] == {DEFAULT_ANTIPHISH: f"action:{action}"}


def test_a_configured_default_policy_passes_2_2_and_2_4():
    tips = {t: True for t in ("EnableFirstContactSafetyTips", "EnableSimilarUsersSafetyTips",
                              "EnableSimilarDomainsSafetyTips", "EnableUnusualCharactersSafetyTips")}
    assert _antiphish(safety_tips, **tips).status is Status.PASS
    assert _antiphish(domain_impersonation, EnableOrganizationDomainsProtection=True,
                      TargetedDomainProtectionAction="MoveToJmf").status is Status.PASS


def test_a_preset_for_everyone_is_judged_on_its_own_settings():
    rules = _rules()
    for rule_set in rules.values():
        by_identity(rule_set, "Standard Preset Security Policy")["RecipientDomainIs"] = None
    assert _antiphish(safety_tips, rules).status is Status.PASS  # the default policy is no longer in force
    policies = exchange_value("Get-AntiPhishPolicy")
    next(p for p in policies if p["RecommendedPolicyType"] == "Standard")["EnableViaTag"] = False
    verdict = run(safety_tips, exo_antiphish_policies=policies, **rules)
    assert verdict.status is Status.FAIL  # ScubaGear would pass any preset covering everyone


@pytest.mark.parametrize("check", [domain_impersonation, safety_tips])
def test_a_switched_off_anti_phishing_policy_fails(check):
    tips = {t: True for t in ("EnableFirstContactSafetyTips", "EnableSimilarUsersSafetyTips",
                              "EnableSimilarDomainsSafetyTips", "EnableUnusualCharactersSafetyTips")}
    verdict = _antiphish(check, Enabled=False, EnableOrganizationDomainsProtection=True, **tips)
    assert verdict.evidence["failing"] == {DEFAULT_ANTIPHISH: "policy_off"}


def test_the_older_suspicious_safety_tip_must_be_on_where_it_is_sent():
    tips = {t: True for t in ("EnableFirstContactSafetyTips", "EnableSimilarUsersSafetyTips",
                              "EnableSimilarDomainsSafetyTips", "EnableUnusualCharactersSafetyTips")}
    assert _antiphish(safety_tips, EnableSuspiciousSafetyTip=False, **tips).evidence["failing"] == {
        DEFAULT_ANTIPHISH: "off:EnableSuspiciousSafetyTip"}
