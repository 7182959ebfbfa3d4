from scanner.checks.spo._settings import tenant_settings
from tests.scanner.checks.conftest import graph_body


def test_reads_the_documented_shape_nested_under_value():
    body = graph_body("admin-sharepoint-settings")
    assert tenant_settings(body)["sharingCapability"] == "externalUserAndGuestSharing"


def test_reads_the_entity_at_top_level():
    entity = graph_body("admin-sharepoint-settings")["value"]
    assert tenant_settings(entity) is entity
