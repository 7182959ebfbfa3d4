from scanner.checks import Status
from scanner.checks.exo import dkim_enabled as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import by_identity, dns_lookups, exchange_value, published_records


def _run(configs=None, accepted=None, records=None):
    accepted = accepted if accepted is not None else exchange_value("Get-AcceptedDomain")
    records = records if records is not None else published_records()
    return run(check, exo_dkim_configs=configs if configs is not None else exchange_value("Get-DkimSigningConfig"),
               exo_accepted_domains=accepted, dns_dkim=dns_lookups("dns_dkim", records, accepted))


def _signing():
    configs = exchange_value("Get-DkimSigningConfig")
    by_identity(configs, "contoso.com")["Enabled"] = True
    return configs


def test_fails_on_a_custom_domain_that_does_not_sign():
    verdict = _run()
    assert verdict.status is Status.FAIL
    assert verdict.reason is None
    assert verdict.affected == ["contoso.com"]
    assert verdict.evidence["failing"] == {"contoso.com": "signing_disabled"}


def test_passes_when_every_domain_signs():
    configs = exchange_value("Get-DkimSigningConfig")
    by_identity(configs, "contoso.com")["Enabled"] = True
    verdict = _run(configs=configs)
    assert verdict.status is Status.PASS
    assert (verdict.evidence["domains_checked"], verdict.evidence["failing"]) == (2, {})


def test_an_accepted_domain_without_any_signing_config_fails_as_scubagear_3_1_rules():
    # ScubaGear MS.EXO.3.1v1 (EXOConfig.rego, DomainsWithDkim): every accepted domain needs an enabled
    # signing config; one with none at all is a violation. We used to judge only the configs returned.
    configs = exchange_value("Get-DkimSigningConfig")
    by_identity(configs, "contoso.com")["Enabled"] = True
    accepted = exchange_value("Get-AcceptedDomain")
    accepted.append({**accepted[1], "DomainName": "Fabrikam.com", "Identity": "fabrikam.com", "Default": False})
    verdict = _run(configs=configs, accepted=accepted)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["Fabrikam.com"]  # as Exchange lists it
    assert verdict.evidence["failing"]["Fabrikam.com"] == "no_signing_config"


def test_a_config_for_a_domain_no_longer_accepted_is_not_judged():
    configs = exchange_value("Get-DkimSigningConfig")
    by_identity(configs, "contoso.com")["Enabled"] = True
    configs.append({**configs[1], "Domain": "old.example", "Identity": "old.example", "Enabled": False})
    assert _run(configs=configs).status is Status.PASS


def test_fails_when_no_domain_is_accepted():
    verdict = _run(configs=[], accepted=[])
    assert (verdict.status, verdict.reason) == (Status.FAIL, "no_accepted_domain")


def test_signing_with_an_unpublished_key_fails_as_scubagear_3_1_rules():
    records = published_records()
    del records["selector1._domainkey.contoso.com"], records["selector2._domainkey.contoso.com"]
    verdict = _run(configs=_signing(), records=records)
    assert (verdict.status, verdict.affected) == (Status.FAIL, ["contoso.com"])
    assert verdict.evidence["failing"] == {"contoso.com": "key_not_published"}


def test_the_first_selector_that_answers_decides():
    records = published_records()
    records["selector1._domainkey.contoso.com"] = ["not a key"]
    assert _run(configs=_signing(), records=records).status is Status.FAIL
    del records["selector1._domainkey.contoso.com"]  # selector1 absent: selector2's key counts
    assert _run(configs=_signing(), records=records).status is Status.PASS


def test_a_key_must_start_exactly_with_v_dkim1():
    records = published_records()
    records["selector1._domainkey.contoso.com"] = ["v=DKIM1 ; k=rsa; p=MIGf"]
    assert _run(configs=_signing(), records=records).status is Status.FAIL


def test_an_unreachable_selector_is_an_error_not_a_pass():
    records = published_records()
    records["selector1._domainkey.contoso.com"] = None  # SERVFAIL
    verdict = _run(configs=_signing(), records=records)
    assert (verdict.status, verdict.reason) == (Status.ERROR, "dns_unreachable")
    assert verdict.evidence["unresolved"] == ["contoso.com"]
    # A certain failure elsewhere still fails the check.
    configs = _signing()
    by_identity(configs, "contoso.onmicrosoft.com")["Enabled"] = False
    assert _run(configs=configs, records=records).status is Status.FAIL


def test_a_signing_config_matches_its_accepted_domain_exactly():
    configs = _signing()
    by_identity(configs, "contoso.com")["Domain"] = "Contoso.com"  # ScubaGear's rule compares exactly
    assert _run(configs=configs).evidence["failing"] == {"contoso.com": "no_signing_config"}
