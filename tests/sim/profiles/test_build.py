"""The public API of sim.profiles: profiles, determinism, user counts, fleets."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sim.profiles import _SPECS, MIN_USERS, PROFILES, build_fleet, build_tenant, default_now
from sim.profiles._expected import satisfied_gates
from tests.sim.profiles.conftest import NOW, built

ALL = sorted(PROFILES)


def _user_ids(profile: str, seed: int, users: int | None = None) -> set[str]:
    return {u["id"] for u in built(profile, seed, users).graph["/users"]}


def test_profiles_include_every_required_profile_with_its_status():
    assert {"secure", "typical", "neglected", "free", "revoked", "large", "hybrid"} <= set(PROFILES)
    assert PROFILES["large"].default_users == 10_000
    assert PROFILES["revoked"].expected_status == "disconnected"
    assert {p.expected_status for name, p in PROFILES.items() if name != "revoked"} == {"completed"}


@pytest.mark.parametrize("profile", ["secure", "typical", "neglected", "free", "revoked", "hybrid"])
def test_same_arguments_build_the_same_tenant(profile):
    assert build_tenant(profile, seed=3, users=40, now=NOW) == build_tenant(profile, seed=3, users=40, now=NOW)


def test_default_clock_is_the_start_of_the_current_utc_hour():
    moment = default_now()
    assert moment.utcoffset() == dt.timedelta(0)
    assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)
    assert dt.timedelta(0) <= dt.datetime.now(dt.UTC) - moment < dt.timedelta(hours=1)


@pytest.mark.parametrize("profile", ["secure", "typical", "neglected", "free", "hybrid"])
def test_another_seed_changes_filler_users_but_not_verdicts(profile):
    a, b = built(profile, 0), built(profile, 1)
    names_a = {u["displayName"] for u in a.graph["/users"]}
    names_b = {u["displayName"] for u in b.graph["/users"]}
    assert names_a != names_b
    assert not _user_ids(profile, 0) & _user_ids(profile, 1)
    assert a.id != b.id
    assert a.expected == b.expected
    assert a.expected_reasons == b.expected_reasons


@pytest.mark.parametrize("profile", ["secure", "typical", "neglected", "free", "hybrid"])
def test_verdicts_do_not_depend_on_the_user_count(profile):
    assert built(profile, 0, MIN_USERS).expected == built(profile, 0, 300).expected


@pytest.mark.parametrize("profile", ALL)
@pytest.mark.parametrize("users", [MIN_USERS, 57])
def test_user_count_is_the_number_of_user_objects(profile, users):
    tenant = build_tenant(profile, users=users, now=NOW)
    assert len(tenant.graph["/users"]) == users
    assert len({u["id"] for u in tenant.graph["/users"]}) == users
    assert len({u["userPrincipalName"].lower() for u in tenant.graph["/users"]}) == users


def test_default_user_count_is_the_profiles():
    assert len(built("typical").graph["/users"]) == PROFILES["typical"].default_users


def test_too_few_users_is_refused():
    with pytest.raises(ValueError, match="at least"):
        build_tenant("typical", users=MIN_USERS - 1, now=NOW)


def test_unknown_profile_is_refused():
    with pytest.raises(KeyError, match="unknown profile"):
        build_tenant("enterprise", now=NOW)


def test_large_profile_builds_ten_thousand_users():
    tenant = build_tenant("large", now=NOW)
    assert len(tenant.graph["/users"]) == 10_000
    members_with_mail = [u for u in tenant.graph["/users"] if u["userType"] == "Member" and u["assignedLicenses"]]
    assert len(tenant.exchange["Get-Mailbox"]) >= len(members_with_mail)
    assert tenant.expected == built("typical").expected


def test_tenant_id_defaults_to_a_uuid5_of_profile_and_seed():
    tenant = built("secure", 4)
    assert uuid.UUID(tenant.id).version == 5
    assert built("typical", 4).id != tenant.id
    assert build_tenant("secure", seed=4, tenant_id="3f2a6c1e-0000-4000-8000-000000000001", now=NOW).id == \
        "3f2a6c1e-0000-4000-8000-000000000001"


def test_domains_are_the_initial_default_and_one_custom_verified_domain():
    tenant = build_tenant("typical", display_name="Northwind Traders", now=NOW)
    assert tenant.display_name == "Northwind Traders"
    assert tenant.default_domain == "northwindtraders.onmicrosoft.com"
    domains = {d["id"]: d for d in tenant.graph["/domains"]}
    assert set(domains) == {"northwindtraders.onmicrosoft.com", "northwindtraders.com"}
    assert all(d["isVerified"] for d in domains.values())
    assert domains["northwindtraders.onmicrosoft.com"]["isDefault"] is True
    members = [u for u in tenant.graph["/users"] if u["userType"] == "Member"]
    assert all(u["userPrincipalName"].endswith("@northwindtraders.onmicrosoft.com") for u in members)


def test_activity_dates_are_relative_to_now():
    now = dt.datetime(2030, 5, 17, 9, 0, tzinfo=dt.UTC)
    tenant = build_tenant("secure", now=now)
    for user in tenant.graph["/users"]:
        last = user["signInActivity"]["lastSuccessfulSignInDateTime"]
        if user["accountEnabled"] and last is not None:
            age = now - dt.datetime.fromisoformat(last.replace("Z", "+00:00"))
            assert dt.timedelta(0) <= age <= dt.timedelta(days=5), user["userPrincipalName"]


def test_consent_is_granted_with_every_permission_except_when_revoked():
    for profile in ALL:
        tenant = built(profile) if profile != "large" else build_tenant("large", users=MIN_USERS, now=NOW)
        assert tenant.exchange_role_assigned is True
        if profile == "revoked":
            assert tenant.consent == "revoked"
            assert tenant.granted_permissions == set()
        else:
            assert tenant.consent == "granted"
            assert "Exchange.ManageAsApp" in tenant.granted_permissions


def test_fleet_mixes_profiles_with_distinct_names_domains_and_ids():
    fleet = build_fleet(12, now=NOW)
    assert len(fleet) == 12
    assert len({t.display_name for t in fleet}) == 12
    assert len({t.default_domain for t in fleet}) == 12
    assert len({t.id for t in fleet}) == 12
    assert {"secure", "typical", "neglected", "free", "hybrid", "revoked"} <= {t.profile for t in fleet}
    assert "large" not in {t.profile for t in fleet}


def test_fleet_is_deterministic_and_names_stay_distinct_beyond_the_name_list():
    assert [t.id for t in build_fleet(5, seed=2, now=NOW)] == [t.id for t in build_fleet(5, seed=2, now=NOW)]
    fleet = build_fleet(30, now=NOW)
    assert len({t.display_name for t in fleet}) == 30
    assert len({t.default_domain for t in fleet}) == 30


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_declared_licence_gates_are_the_ones_the_tenants_skus_give(profile):
    # Expectations come from the gates each profile declares by hand; its data from the SKUs it buys.
    # If they disagreed, a profile would expect a verdict its own data cannot produce.
    spec = _SPECS[profile]
    assert set(spec.gates) == satisfied_gates(build_tenant(profile).service_plans, spec.directory.hybrid is not None)
