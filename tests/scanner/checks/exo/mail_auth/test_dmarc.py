"""MS.EXO.4.1v1 (a DMARC policy is published) and 4.2v1 (it rejects), and the reporting addresses,
for every accepted domain but the coexistence one; expected verdicts follow ScubaGear's EXOConfig.rego,
read over real DNS from the simulator."""

import pytest

from scanner.checks import Status
from scanner.checks.exo.dmarc import published as dmarc_published
from scanner.checks.exo.dmarc import reject as dmarc_reject
from scanner.checks.exo.dmarc import reports as dmarc_reports
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import dns_lookups, exchange_value, published_records

ALL = (dmarc_published, dmarc_reject, dmarc_reports)
DOC = "v=DMARC1; p=reject; pct=100; rua=mailto:d@rua.contoso.com; ruf=mailto:d@ruf.contoso.com"


def _run(check, records=None, accepted=None):
    accepted = accepted if accepted is not None else exchange_value("Get-AcceptedDomain")
    records = records if records is not None else published_records()
    return run(check, exo_accepted_domains=accepted, dns_dmarc=dns_lookups("dns_dmarc", records, accepted))


def _with_dmarc(*records):
    published = published_records()
    published["_dmarc.contoso.com"] = list(records)
    return published


@pytest.mark.parametrize("check", ALL)
def test_the_documented_record_passes(check):
    verdict = _run(check)
    assert verdict.status is Status.PASS
    assert verdict.evidence["records"]["contoso.com"] == DOC


@pytest.mark.parametrize("check", ALL)
def test_a_domain_without_dmarc_fails_every_dmarc_check(check):
    records = published_records()
    del records["_dmarc.contoso.onmicrosoft.com"]
    verdict = _run(check, records)
    assert (verdict.status, verdict.affected) == (Status.FAIL, ["contoso.onmicrosoft.com"])
    assert verdict.evidence["failing"] == {"contoso.onmicrosoft.com": "no_dmarc_record"}


def test_a_record_not_starting_exactly_v_dmarc1_fails_4_1():
    verdict = _run(dmarc_published, _with_dmarc("v=DMARC1 ; p=reject; rua=mailto:d@rua.contoso.com"))
    assert verdict.evidence["failing"] == {"contoso.com": "malformed_dmarc_record"}


def test_two_dmarc_records_are_no_policy():
    verdict = _run(dmarc_published, _with_dmarc(DOC, "v=DMARC1; p=none;"))
    assert verdict.evidence["failing"] == {"contoso.com": "no_dmarc_record"}


def test_a_subdomain_without_its_own_record_takes_its_parents():
    accepted = exchange_value("Get-AcceptedDomain")
    accepted.append({**accepted[1], "DomainName": "mail.contoso.com", "Identity": "mail.contoso.com"})
    assert _run(dmarc_reject, accepted=accepted).status is Status.PASS
    records = _with_dmarc("v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@rua.contoso.com;")
    verdict = _run(dmarc_reject, records, accepted)
    assert verdict.evidence["failing"] == {"mail.contoso.com": "policy_quarantine"}


def test_the_coexistence_domain_is_skipped():
    accepted = exchange_value("Get-AcceptedDomain")
    accepted.append({**accepted[1], "DomainName": "contoso.mail.onmicrosoft.com", "IsCoexistenceDomain": True})
    verdict = _run(dmarc_published, accepted=accepted)
    assert (verdict.status, verdict.evidence["domains_checked"]) == (Status.PASS, 2)


@pytest.mark.parametrize(("record", "problem"), [
    ("v=DMARC1; p=none; rua=mailto:d@rua.contoso.com;", "policy_none"),
    ("v=DMARC1; p=quarantine; rua=mailto:d@rua.contoso.com;", "policy_quarantine"),
    # ScubaGear's substring test needs the semicolon: a record ending in p=reject fails there, so here too.
    ("v=DMARC1; rua=mailto:d@rua.contoso.com; p=reject", "policy_reject"),
    # Stricter: ScubaGear's substring test passes p=none beside sp=reject; the policy here is none.
    ("v=DMARC1; p=none; sp=reject; rua=mailto:d@rua.contoso.com;", "policy_none"),
    ("v=DMARC1; p=reject; pct=50; rua=mailto:d@rua.contoso.com;", "partial_pct"),
])
def test_policies_that_do_not_reject_every_message_fail_4_2(record, problem):
    verdict = _run(dmarc_reject, _with_dmarc(record))
    assert (verdict.status, verdict.evidence["failing"]) == (Status.FAIL, {"contoso.com": problem})


@pytest.mark.parametrize(("record", "problem"), [
    ("v=DMARC1; p=reject; ruf=mailto:d@ruf.contoso.com", "no_aggregate_reports"),
    ("v=DMARC1; p=reject; rua=mailto:d@rua.contoso.com", "no_failure_reports"),
    ("v=DMARC1; p=reject; rua=https://reports.example; ruf=mailto:d@ruf.contoso.com", "no_aggregate_reports"),
])
def test_missing_report_addresses_fail(record, problem):
    verdict = _run(dmarc_reports, _with_dmarc(record))
    assert verdict.evidence["failing"] == {"contoso.com": problem}


@pytest.mark.parametrize("check", ALL)
def test_an_unreachable_dmarc_name_is_an_error_not_a_verdict(check):
    records = published_records()
    records["_dmarc.contoso.com"] = None  # SERVFAIL
    verdict = _run(check, records)
    assert (verdict.status, verdict.reason) == (Status.ERROR, "dns_unreachable")


def test_an_invalid_record_at_the_domain_itself_is_not_replaced_by_the_parents():
    accepted = exchange_value("Get-AcceptedDomain")
    accepted.append({**accepted[1], "DomainName": "sub.contoso.com", "Identity": "sub.contoso.com"})
    records = published_records()
    records["_dmarc.sub.contoso.com"] = ["v=dmarc1; p=none;"]  # looks like DMARC, wrong case: ScubaGear fails
    verdict = _run(dmarc_published, records, accepted)
    assert verdict.evidence["failing"] == {"sub.contoso.com": "malformed_dmarc_record"}
    records["_dmarc.sub.contoso.com"] = ["google-site-verification=abc"]  # records, none of them DMARC
    assert _run(dmarc_reject, records, accepted).evidence["failing"] == {"sub.contoso.com": "no_dmarc_record"}


def test_a_deep_subdomain_falls_back_to_the_organisational_domain_not_an_intermediate_one():
    accepted = exchange_value("Get-AcceptedDomain")
    accepted.append({**accepted[1], "DomainName": "a.b.contoso.com", "Identity": "a.b.contoso.com"})
    records = _with_dmarc("v=DMARC1; p=none; rua=mailto:d@rua.contoso.com;")
    records["_dmarc.b.contoso.com"] = ["v=DMARC1; p=reject;"]
    verdict = _run(dmarc_reject, records, accepted)
    assert verdict.evidence["failing"]["a.b.contoso.com"] == "policy_none"
