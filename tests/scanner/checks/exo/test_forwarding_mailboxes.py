from scanner.checks import Status
from scanner.checks.exo.forwarding import mailboxes as check
from tests.scanner.checks.conftest import graph_value, run
from tests.scanner.checks.exo.conftest import by_identity, exchange_value


def _run(mailboxes=None, domains=None):
    return run(
        check,
        exo_mailboxes=mailboxes if mailboxes is not None else exchange_value("Get-Mailbox"),
        domains=domains if domains is not None else graph_value("domains-passwordpolicy"),
    )


def test_fails_on_forwarding_to_a_domain_the_tenant_does_not_own():
    verdict = _run()
    assert verdict.status is Status.FAIL
    # MeganB forwards to smtp:AdeleV@Contoso.com: the domain matches whatever its case.
    assert verdict.affected == ["AlexW@contoso.com"]
    assert verdict.evidence["external_forwarding"] == {"AlexW@contoso.com": "alex.wilber.home@gmail.com"}


def test_passes_when_forwarding_stays_inside_the_tenant():
    mailboxes = exchange_value("Get-Mailbox")
    by_identity(mailboxes, "AlexW")["ForwardingSmtpAddress"] = None
    assert _run(mailboxes=mailboxes).status is Status.PASS


def test_a_domain_the_tenant_owns_is_internal():
    domains = graph_value("domains-passwordpolicy")
    domains.append({**domains[0], "id": "gmail.com", "isDefault": False})
    assert _run(domains=domains).status is Status.PASS


def test_reads_a_target_without_the_smtp_prefix():
    mailboxes = exchange_value("Get-Mailbox")
    by_identity(mailboxes, "AlexW")["ForwardingSmtpAddress"] = "alex@tailspintoys.com"
    verdict = _run(mailboxes=mailboxes)
    assert verdict.affected == ["AlexW@contoso.com"]
    assert verdict.evidence["external_forwarding"] == {"AlexW@contoso.com": "alex@tailspintoys.com"}


def test_a_domain_added_but_never_verified_is_external():
    # new.contoso.com is in /domains with isVerified false: anyone may add a name; it proves nothing.
    mailboxes = exchange_value("Get-Mailbox")
    by_identity(mailboxes, "AlexW")["ForwardingSmtpAddress"] = "smtp:alex@new.contoso.com"
    verdict = _run(mailboxes=mailboxes)
    assert verdict.status is Status.FAIL
    assert verdict.evidence["external_forwarding"] == {"AlexW@contoso.com": "alex@new.contoso.com"}
    assert "new.contoso.com" not in verdict.evidence["tenant_domains"]
