from scanner.checks import Status
from scanner.checks.exo.forwarding import remote_domains as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import by_identity, exchange_value


def test_fails_on_the_default_remote_domain_left_as_shipped():
    verdict = run(check, exo_remote_domains=exchange_value("Get-RemoteDomain"))
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["*"]


def test_passes_when_no_remote_domain_allows_auto_forwarding():
    domains = exchange_value("Get-RemoteDomain")
    by_identity(domains, "Default")["AutoForwardEnabled"] = False
    verdict = run(check, exo_remote_domains=domains)
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"remote_domains_read": 2, "allowing_auto_forward": 0}
