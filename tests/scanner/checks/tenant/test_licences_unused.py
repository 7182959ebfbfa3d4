from scanner.checks import Status
from scanner.checks.tenant.licences import unused as check
from tests.scanner.checks.conftest import graph_value, run


def test_fails_on_documented_sku_with_11_of_25_seats_unassigned():
    verdict = run(check, subscribed_skus=graph_value("subscribedskus"))
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["ENTERPRISEPREMIUM"]
    assert verdict.evidence["seats"] == {"ENTERPRISEPREMIUM": {"enabled": 25, "consumed": 14}}


def test_passes_when_four_seats_are_spare():
    skus = graph_value("subscribedskus")
    skus[0]["consumedUnits"] = 21
    assert run(check, subscribed_skus=skus).status is Status.PASS


def test_passes_when_spare_seats_are_at_most_ten_percent():
    skus = graph_value("subscribedskus")
    skus[0]["prepaidUnits"]["enabled"] = 150
    skus[0]["consumedUnits"] = 135
    assert run(check, subscribed_skus=skus).status is Status.PASS


def test_ignores_a_suspended_subscription():
    skus = graph_value("subscribedskus")
    skus[0]["capabilityStatus"] = "Suspended"
    assert run(check, subscribed_skus=skus).status is Status.PASS


def test_ignores_a_sku_with_no_enabled_seats():
    skus = graph_value("subscribedskus")
    skus[0]["prepaidUnits"]["enabled"] = 0
    assert run(check, subscribed_skus=skus).status is Status.PASS


def test_ignores_free_self_service_skus():
    skus = graph_value("subscribedskus")
    skus[0]["skuPartNumber"] = "FLOW_FREE"
    verdict = run(check, subscribed_skus=skus)
    assert verdict.status is Status.PASS
    assert verdict.evidence["ignored_free_skus"] == ["FLOW_FREE"]
