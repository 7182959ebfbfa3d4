"""Exchange Online Protection checks on the admin API's policy objects: MS.SECURITYSUITE.1.1, 1.2, 6.1,
6.2, 8.1 and 8.2, with expected verdicts from SecuritySuiteConfig.rego."""

import pytest

from scanner.checks import Status
from scanner.checks.exo.protection import (
    malware_file_filter,
    malware_zap,
    no_allowed_sender_domains,
    no_ip_allow_list,
    safe_list_off,
    spam_actions,
)
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import by_identity, exchange_value


def _malware(check, **default):
    policies = exchange_value("Get-MalwareFilterPolicy")
    by_identity(policies, "Default").update(default)
    return run(check, exo_malware_policies=policies, exo_eop_rules=exchange_value("Get-EOPProtectionPolicyRule"))


def _spam(check, policies=None, rules=None):
    return run(check, exo_spam_policies=policies or exchange_value("Get-HostedContentFilterPolicy"),
               exo_eop_rules=rules or exchange_value("Get-EOPProtectionPolicyRule"))


@pytest.mark.parametrize("check", [malware_file_filter, malware_zap])
def test_the_documented_default_policies_pass(check):
    verdict = _malware(check)
    assert verdict.status is Status.PASS
    assert verdict.evidence["policies_judged"][-1] == "Default"


@pytest.mark.parametrize(("change", "problem"), [
    ({"EnableFileFilter": False}, "file_filter_off"),
    ({"FileTypes": ["exe", "bat"]}, "types_not_blocked:cmd,vbe"),
    ({"FileTypes": None}, "types_not_blocked:cmd,exe,vbe"),
])
def test_the_default_policy_without_the_file_filter_fails_1_1(change, problem):
    verdict = _malware(malware_file_filter, **change)
    assert (verdict.status, verdict.affected, verdict.evidence["failing"]) == (
        Status.FAIL, ["Default"], {"Default": problem})


def test_the_default_policy_without_zap_fails_1_2():
    assert _malware(malware_zap, ZapEnabled=False).evidence["failing"] == {"Default": "zap_off"}


def test_a_preset_for_everyone_leaves_a_weak_default_unjudged():
    policies = exchange_value("Get-MalwareFilterPolicy")
    by_identity(policies, "Default")["ZapEnabled"] = False
    rules = exchange_value("Get-EOPProtectionPolicyRule")
    by_identity(rules, "Standard Preset Security Policy")["RecipientDomainIs"] = None
    assert run(malware_zap, exo_malware_policies=policies, exo_eop_rules=rules).status is Status.PASS


def test_no_policy_in_force_fails():
    verdict = run(malware_zap, exo_malware_policies=[], exo_eop_rules=[])
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_policy")


def test_the_documented_anti_spam_policies_keep_spam_out():
    assert _spam(spam_actions).status is Status.PASS
    assert _spam(no_allowed_sender_domains).status is Status.PASS


@pytest.mark.parametrize("action", ["SpamAction", "HighConfidenceSpamAction", "PhishSpamAction",
                                    "HighConfidencePhishAction"])
def test_a_verdict_that_only_tags_the_message_fails_6_1(action):
    policies = exchange_value("Get-HostedContentFilterPolicy")
    by_identity(policies, "Default")[action] = "AddXHeader"
    verdict = _spam(spam_actions, policies)
    assert verdict.evidence["failing"] == {"Default": f"delivers:{action}"}


def test_a_custom_policy_is_judged_too():
    policies = exchange_value("Get-HostedContentFilterPolicy")
    custom = {**by_identity(policies, "Default"), "Identity": "Partners", "Name": "Partners", "IsDefault": False,
              "AllowedSenderDomains": ["fabrikam.com"]}
    verdict = _spam(no_allowed_sender_domains, [*policies, custom])
    assert (verdict.status, verdict.affected) == (Status.FAIL, ["Partners"])


def test_connection_filter_allow_list_and_safe_list():
    policies = exchange_value("Get-HostedConnectionFilterPolicy")
    assert run(no_ip_allow_list, exo_connection_filter_policies=policies).status is Status.PASS
    assert run(safe_list_off, exo_connection_filter_policies=policies).status is Status.PASS
    policies[0].update(IPAllowList=["203.0.113.0/24"], EnableSafeList=True)
    allow = run(no_ip_allow_list, exo_connection_filter_policies=policies)
    assert (allow.status, allow.affected, allow.evidence["allowed_ips"]) == (
        Status.FAIL, ["Default"], ["203.0.113.0/24"])
    assert run(safe_list_off, exo_connection_filter_policies=policies).affected == ["Default"]


def test_file_types_are_compared_exactly_as_scubagear_does():
    verdict = _malware(malware_file_filter, FileTypes=["EXE", "CMD", "VBE"])
    assert verdict.evidence["failing"] == {"Default": "types_not_blocked:cmd,exe,vbe"}
