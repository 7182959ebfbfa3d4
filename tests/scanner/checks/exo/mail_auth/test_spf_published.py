"""MS.EXO.2.2v3: every accepted domain publishes SPF ending in a hard or soft fail (or a redirect); the
expected verdicts follow ScubaGear's Get-ScubaSpfRecord, read over real DNS from the simulator."""

import pytest

from scanner.checks import Status
from scanner.checks.exo import spf_published as check
from tests.scanner.checks.conftest import run
from tests.scanner.checks.exo.conftest import dns_lookups, exchange_value, published_records


def _run(records=None, accepted=None):
    accepted = accepted if accepted is not None else exchange_value("Get-AcceptedDomain")
    records = records if records is not None else published_records()
    return run(check, exo_accepted_domains=accepted, dns_spf=dns_lookups("dns_spf", records, accepted))


def _with_spf(record):
    records = published_records()
    records["contoso.com"] = [record, "MS=ms47112359"]
    return records


def test_passes_on_the_records_microsoft_documents():
    verdict = _run()
    assert verdict.status is Status.PASS
    assert "v=spf1 include:spf.protection.outlook.com -all" in verdict.evidence["records"]["contoso.com"]


@pytest.mark.parametrize("record", ["v=spf1 include:spf.protection.outlook.com ~all",
                                    "v=spf1 redirect=_spf.contoso.com"])
def test_soft_fail_and_redirect_comply_with_v3(record):
    assert _run(_with_spf(record)).status is Status.PASS


@pytest.mark.parametrize(("record", "problem"), [
    ("v=spf1 include:spf.protection.outlook.com ?all", "does_not_fail_other_senders"),
    ("v=spf1 include:spf.protection.outlook.com +all", "does_not_fail_other_senders"),
    ("v=spf1 include:spf.protection.outlook.com", "does_not_fail_other_senders"),
    # ScubaGear's prefix test is case-sensitive and needs the space: these fail there, so here too.
    ("V=SPF1 include:spf.protection.outlook.com -all", "no_spf_record"),
    ("v=spf1", "no_spf_record"),
    # Stricter: "-all" inside another term is not a fail-all (ScubaGear's substring test accepts it).
    ("v=spf1 include:relay-all.example ?all", "does_not_fail_other_senders"),
])
def test_records_that_do_not_fail_other_senders_fail(record, problem):
    verdict = _run(_with_spf(record))
    assert (verdict.status, verdict.affected) == (Status.FAIL, ["contoso.com"])
    assert verdict.evidence["failing"] == {"contoso.com": problem}


def test_a_domain_without_spf_fails_the_onmicrosoft_one_included():
    records = published_records()
    del records["contoso.onmicrosoft.com"]
    records["contoso.com"] = ["MS=ms47112359"]
    verdict = _run(records)
    assert verdict.affected == ["contoso.com", "contoso.onmicrosoft.com"]
    assert set(verdict.evidence["failing"].values()) == {"no_spf_record"}


def test_two_spf_records_are_a_permanent_error_and_fail():
    records = published_records()
    records["contoso.com"].append("v=spf1 include:mail.example -all")
    assert _run(records).evidence["failing"] == {"contoso.com": "multiple_spf_records"}


def test_a_record_longer_than_one_dns_string_is_read_whole():
    includes = " ".join(f"include:spf{i}.sender-{i}.example" for i in range(12))
    record = f"v=spf1 {includes} -all"
    assert len(record) > 255
    verdict = _run(_with_spf(record))
    assert verdict.status is Status.PASS
    assert record in verdict.evidence["records"]["contoso.com"]


def test_an_unreachable_domain_is_an_error_unless_another_fails():
    records = published_records()
    records["contoso.com"] = None  # SERVFAIL
    verdict = _run(records)
    assert (verdict.status, verdict.reason, verdict.evidence["unresolved"]) == (
        Status.ERROR, "dns_unreachable", ["contoso.com"])
    records["contoso.onmicrosoft.com"] = ["v=spf1 ?all"]
    assert _run(records).status is Status.FAIL


def test_no_accepted_domain_fails():
    assert (_run(accepted=[]).status, _run(accepted=[]).reason) == (Status.FAIL, "no_accepted_domain")
