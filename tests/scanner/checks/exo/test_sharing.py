"""MS.EXO.6.1v1 and 6.2v1, as ScubaGear's EXOConfig.rego rules them (SharingPolicyContactsAllowedAllDomains,
SharingPolicyCalendarAllowedAllDomains): an entry with * in its domain and the action's name fails."""

import pytest

from scanner.checks import Status
from scanner.checks.exo.sharing import calendar_not_shared_with_all as calendar
from scanner.checks.exo.sharing import contacts_not_shared_with_all as contacts
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import exchange_value


def _policies(*domains):
    policies = exchange_value("Get-SharingPolicy")
    if domains:
        policies[0]["Domains"] = list(domains)
    return policies


def test_the_default_policy_shares_free_busy_with_every_domain():
    verdict = run(calendar, exo_sharing_policies=_policies())
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["Default Sharing Policy"]
    assert run(contacts, exo_sharing_policies=_policies()).status is Status.PASS


def test_contacts_shared_with_every_domain_fail_contacts_only():
    policies = _policies("*:ContactsSharing")
    assert run(contacts, exo_sharing_policies=policies).status is Status.FAIL
    assert run(calendar, exo_sharing_policies=policies).status is Status.PASS


@pytest.mark.parametrize("entry", ["*.contoso.com:CalendarSharingFreeBusyDetail", "*:CalendarSharingFreeBusyDetail"])
def test_any_wildcard_domain_counts(entry):
    assert run(calendar, exo_sharing_policies=_policies(entry)).status is Status.FAIL


def test_named_partners_and_anonymous_publishing_pass():
    policies = _policies("fabrikam.com:CalendarSharingFreeBusySimple,ContactsSharing",
                         "Anonymous:CalendarSharingFreeBusyReviewer")
    assert run(calendar, exo_sharing_policies=policies).status is Status.PASS
    assert run(contacts, exo_sharing_policies=policies).status is Status.PASS


def test_a_disabled_policy_still_counts():
    policies = _policies()
    policies[0]["Enabled"] = False
    assert run(calendar, exo_sharing_policies=policies).status is Status.FAIL


def test_a_policy_without_domains_is_an_error_not_a_pass():
    policies = _policies()
    del policies[0]["Domains"]
    with pytest.raises(KeyError):
        run(calendar, exo_sharing_policies=policies)
