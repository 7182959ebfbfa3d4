import datetime as dt

import pytest

from scanner.checks import Status
from scanner.checks.entra.hybrid import sync_recent as check
from tests.scanner.checks.conftest import NOW, run

# /organization as the scanner selects it (id, displayName, verifiedDomains, onPremisesSyncEnabled,
# onPremisesLastSyncDateTime), following the v1.0 organization resource.
ORG = {
    "id": "84841066-274d-4ec0-a5c1-276be684bdd3",
    "displayName": "Contoso",
    "verifiedDomains": [{"name": "contoso.com", "isDefault": True, "isInitial": False, "type": "Managed"}],
    "onPremisesSyncEnabled": True,
    "onPremisesLastSyncDateTime": None,
}


def _org(last: dt.datetime | None) -> list[dict]:
    return [{**ORG, "onPremisesLastSyncDateTime": last.isoformat().replace("+00:00", "Z") if last else None}]


def test_passes_when_sync_ran_recently():
    assert run(check, organization=_org(NOW - dt.timedelta(minutes=40))).status is Status.PASS


def test_fails_when_sync_is_stale():
    verdict = run(check, organization=_org(NOW - dt.timedelta(days=10)))
    assert (verdict.status, verdict.reason, verdict.affected) == (Status.FAIL, "sync_stale", [ORG["id"]])


def test_fails_when_never_synced():
    verdict = run(check, organization=_org(None))
    assert (verdict.status, verdict.reason) == (Status.FAIL, "never_synced")


def test_missing_field_is_an_error_not_a_pass():
    org = _org(None)
    del org[0]["onPremisesLastSyncDateTime"]
    with pytest.raises(KeyError):
        run(check, organization=org)
