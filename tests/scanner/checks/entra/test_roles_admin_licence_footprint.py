from scanner.checks import Status
from scanner.checks.entra.roles import admin_licence_footprint as check
from tests.scanner.checks.conftest import graph_value, run

JOEY = "ace08ec9-aa11-4ada-9145-addf0398233e"
GROUP = "2b0c7e6a-41c3-4f3e-8d0e-6f6a3c9d2e10"
E5 = "c7df2760-2c81-4ef7-b578-5b5392b571df"  # ENTERPRISEPREMIUM in subscribedskus.json


def _data():
    return {
        "role_assignments": graph_value("rolemanagement-directory-roleassignments-privileged"),
        "privileged_group_members": {GROUP: graph_value("groups-transitivemembers-privileged")},
        "users": graph_value("users-select-directory"),
        "subscribed_skus": graph_value("subscribedskus"),
    }


def _license(data, user_id, sku_id):
    next(u for u in data["users"] if u["id"] == user_id)["assignedLicenses"].append(
        {"skuId": sku_id, "disabledPlans": []}
    )


def test_passes_when_admins_are_unlicensed_and_only_a_non_admin_has_e5():
    verdict = run(check, **_data())
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"privileged_users": 4, "with_productivity_licences": {}}


def test_fails_for_a_global_admin_with_e5():
    data = _data()
    _license(data, JOEY, E5)
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["joeyc@contoso.com"]
    assert verdict.evidence["with_productivity_licences"] == {"joeyc@contoso.com": ["ENTERPRISEPREMIUM"]}


def test_passes_for_an_admin_with_entra_premium_only():
    data = _data()
    data["subscribed_skus"][0]["skuPartNumber"] = "AAD_PREMIUM_P2"
    _license(data, JOEY, E5)
    assert run(check, **data).status is Status.PASS


def test_unknown_sku_is_reported_by_id_and_fails():
    data = _data()
    _license(data, JOEY, "00000000-1111-2222-3333-444444444444")
    verdict = run(check, **data)
    assert verdict.status is Status.FAIL
    assert verdict.evidence["with_productivity_licences"] == {
        "joeyc@contoso.com": ["00000000-1111-2222-3333-444444444444"]
    }
