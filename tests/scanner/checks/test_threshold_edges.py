"""Every threshold at its exact edge, and one step past it: a changed comparison operator fails here.

Each rule is read from the check's own definition (its docstring, decision or constant): "within three
days", "at most 180 days", "at or above the target", "2 to 4 inclusive".
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from scanner.checks import Status, TenantConfig
from scanner.checks.entra.apps import no_long_lived_secrets
from scanner.checks.entra.hybrid import sync_recent
from scanner.checks.entra.roles import global_admin_count
from scanner.checks.intune import devices_compliant
from scanner.checks.securescore import overall
from scanner.collections import GLOBAL_ADMIN_ROLE_ID
from tests.scanner.checks.conftest import NO_PIM_GROUPS, NOW, graph_value, run

SECOND = dt.timedelta(seconds=1)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(("age", "status"), [(dt.timedelta(days=3), Status.PASS),
                                             (dt.timedelta(days=3) + SECOND, Status.FAIL)])
def test_sync_recent_allows_exactly_three_days(age: dt.timedelta, status: Status) -> None:
    org = {"id": "84841066-274d-4ec0-a5c1-276be684bdd3", "displayName": "Contoso", "verifiedDomains": [],
           "onPremisesSyncEnabled": True, "onPremisesLastSyncDateTime": _iso(NOW - age)}
    assert run(sync_recent, organization=[org]).status is status


@pytest.mark.parametrize(("lifetime", "status"), [(dt.timedelta(days=180), Status.PASS),
                                                  (dt.timedelta(days=180) + SECOND, Status.FAIL)])
def test_secrets_may_live_exactly_180_days(lifetime: dt.timedelta, status: Status) -> None:
    apps = graph_value("applications")
    secret = apps[0]["passwordCredentials"][0]
    start = NOW - dt.timedelta(days=1)
    secret["startDateTime"], secret["endDateTime"] = _iso(start), _iso(start + lifetime)
    assert run(no_long_lived_secrets, applications=apps).status is status


@pytest.mark.parametrize(("end", "status"), [(NOW, Status.PASS), (NOW - SECOND, Status.FAIL)])
def test_a_secret_ending_now_has_not_expired_yet(end: dt.datetime, status: Status) -> None:
    apps = graph_value("applications")
    secret = apps[0]["passwordCredentials"][0]
    secret["startDateTime"], secret["endDateTime"] = _iso(end - dt.timedelta(days=30)), _iso(end)
    assert run(no_long_lived_secrets, applications=apps).status is status


@pytest.mark.parametrize(("current", "status"), [(60.0, Status.PASS), (59.99, Status.FAIL)])
def test_secure_score_passes_at_the_target_itself(current: float, status: Status) -> None:
    scores = graph_value("security-securescores")
    scores[0]["currentScore"], scores[0]["maxScore"] = current, 100.0
    assert run(overall, TenantConfig(secure_score_target=0.6), secure_scores=scores).status is status


@pytest.mark.parametrize(("target", "status"), [(0.6, Status.PASS), (0.6001, Status.FAIL)])
def test_device_compliance_passes_at_the_target_share_itself(target: float, status: Status) -> None:
    devices = graph_value("devicemanagement-manageddevices")  # 3 of 5 compliant: 0.6
    assert run(devices_compliant, TenantConfig(compliant_device_ratio=target), managed_devices=devices).status is status


def _global_admins(count: int) -> list[dict]:
    template = next(a for a in graph_value("rolemanagement-directory-roleassignments-privileged")
                    if a["roleDefinitionId"] == GLOBAL_ADMIN_ROLE_ID and a["principal"]["@odata.type"].endswith("user"))
    made = []
    for number in range(count):
        assignment = copy.deepcopy(template)
        user = str(uuid.UUID(int=number + 1))
        assignment["id"], assignment["principalId"] = f"assignment-{number}", user
        assignment["principal"].update(id=user, userPrincipalName=f"admin{number}@contoso.com")
        made.append(assignment)
    return made


@pytest.mark.parametrize(("count", "status"), [(1, Status.FAIL), (2, Status.PASS), (4, Status.PASS),
                                               (5, Status.FAIL)])
def test_global_admin_bounds_are_inclusive(count: int, status: Status) -> None:
    verdict = run(global_admin_count, TenantConfig(global_admin_min=2, global_admin_max=4),
                  role_assignments=_global_admins(count), privileged_group_members={}, role_eligibility_instances=[],
                  **NO_PIM_GROUPS)
    assert verdict.status is status, verdict.evidence
