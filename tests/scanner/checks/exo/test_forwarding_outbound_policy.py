from scanner.checks import Status
from scanner.checks.exo.forwarding import outbound_policy as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import by_identity, exchange_value


def test_passes_on_automatic_and_off_policies():
    verdict = run(check, exo_outbound_spam_policies=exchange_value("Get-HostedOutboundSpamFilterPolicy"))
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"AutoForwardingMode": {"Default": "Automatic", "Executives": "Off"}}


def test_fails_on_a_policy_that_turns_forwarding_on():
    policies = exchange_value("Get-HostedOutboundSpamFilterPolicy")
    by_identity(policies, "Executives")["AutoForwardingMode"] = "On"
    verdict = run(check, exo_outbound_spam_policies=policies)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["Executives"]


def test_fails_on_a_mode_it_does_not_know():
    policies = exchange_value("Get-HostedOutboundSpamFilterPolicy")
    by_identity(policies, "Default")["AutoForwardingMode"] = None
    verdict = run(check, exo_outbound_spam_policies=policies)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["Default"]
