"""Graph v1.0: paging, $select, $expand, $filter, licences, permissions and errors, over HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sim import SimServer, SimState
from tests.sim.conftest import CONTOSO, FABRIKAM, make_users

Headers = Callable[..., dict[str, str]]


def _walk(client: httpx.Client, url: str, headers: dict[str, str]) -> tuple[list[dict[str, Any]], list[int]]:
    items: list[dict[str, Any]] = []
    sizes: list[int] = []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "@odata.context" in body
        items += body["value"]
        sizes.append(len(body["value"]))
        next_url = body.get("@odata.nextLink")
    return items, sizes


def test_paging_walks_every_user_once(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.tenant(CONTOSO).graph["/users"] = make_users(2345)
    items, sizes = _walk(client, f"{server.graph_url}/v1.0/users?$select=id,displayName&$top=999", token_for())
    assert sizes == [999, 999, 347]
    assert len({u["id"] for u in items}) == 2345
    assert set(items[0]) == {"id", "displayName"}


def test_next_link_keeps_the_query_and_adds_an_opaque_skiptoken(
    client: httpx.Client, server: SimServer, token_for: Headers
) -> None:
    body = client.get(f"{server.graph_url}/v1.0/users?$select=id&$top=2", headers=token_for()).json()
    link = urlsplit(body["@odata.nextLink"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{server.graph_url}/v1.0/users"
    query = parse_qs(link.query)
    assert query["$select"] == ["id"] and query["$top"] == ["2"] and len(query["$skiptoken"][0]) > 10


def test_default_page_size_is_100(client: httpx.Client, server: SimServer, state: SimState, token_for: Headers) -> None:
    state.tenant(CONTOSO).graph["/users"] = make_users(250)
    _, sizes = _walk(client, f"{server.graph_url}/v1.0/users", token_for())
    assert sizes == [100, 100, 50]


def test_tampered_or_foreign_skiptoken_is_400(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    for tenant in (CONTOSO, FABRIKAM):
        state.tenant(tenant).graph["/users"] = make_users(10)
    link = client.get(f"{server.graph_url}/v1.0/users?$top=3", headers=token_for()).json()["@odata.nextLink"]
    token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
    tampered = link.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert client.get(tampered, headers=token_for()).status_code == 400
    assert client.get(link, headers=token_for(FABRIKAM)).status_code == 400  # another tenant's token
    assert client.get(link.replace("$top=3", "$top=4"), headers=token_for()).status_code == 400  # another query
    assert client.get(link, headers=token_for()).status_code == 200


def test_top_above_the_maximum_is_400(client: httpx.Client, server: SimServer, token_for: Headers) -> None:
    response = client.get(f"{server.graph_url}/v1.0/users?$top=1000", headers=token_for())
    assert response.status_code == 400 and "between 1 and 999" in response.json()["error"]["message"]


def test_select_projects_and_fills_missing_with_null(
    client: httpx.Client, server: SimServer, token_for: Headers
) -> None:
    body = client.get(f"{server.graph_url}/v1.0/users?$select=displayName,jobTitle", headers=token_for()).json()
    assert body["value"][0] == {"id": body["value"][0]["id"], "displayName": "User 0", "jobTitle": None}
    assert body["@odata.context"].endswith("$metadata#users(displayName,jobTitle)")


def test_users_without_select_get_the_default_set_only(
    client: httpx.Client, server: SimServer, token_for: Headers
) -> None:
    user = client.get(f"{server.graph_url}/v1.0/users", headers=token_for()).json()["value"][0]
    assert "signInActivity" not in user and "accountEnabled" not in user and user["userPrincipalName"]


def test_sign_in_activity_caps_the_page_at_120(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.tenant(CONTOSO).graph["/users"] = make_users(300)
    items, sizes = _walk(client, f"{server.graph_url}/v1.0/users?$select=id,signInActivity&$top=999", token_for())
    assert sizes == [120, 120, 60] and "lastSignInDateTime" in items[0]["signInActivity"]


def test_sign_in_activity_without_premium_is_403(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.tenant(CONTOSO).service_plans = {"EXCHANGE_S_STANDARD"}
    response = client.get(f"{server.graph_url}/v1.0/users?$select=id,signInActivity", headers=token_for())
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert error["message"] == "Neither tenant is B2C or tenant doesn't have premium license"


def test_removed_permission_reaches_new_tokens_only(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    old = token_for()
    state.remove_permission(CONTOSO, "Policy.Read.All")
    url = f"{server.graph_url}/v1.0/policies/authorizationPolicy"
    assert client.get(url, headers=old).status_code == 200
    response = client.get(url, headers=token_for())
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "Authorization_RequestDenied"
    assert error["message"] == "Insufficient privileges to complete the operation."
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_entity_is_served_as_the_object(client: httpx.Client, server: SimServer, token_for: Headers) -> None:
    body = client.get(f"{server.graph_url}/v1.0/policies/authorizationPolicy", headers=token_for()).json()
    assert body["id"] == "authorizationPolicy" and body["defaultUserRolePermissions"]["allowedToCreateApps"] is True
    assert body["@odata.context"].endswith("$metadata#policies/authorizationPolicy/$entity")
    assert "value" not in body


def test_principal_only_with_expand(client: httpx.Client, server: SimServer, token_for: Headers) -> None:
    url = f"{server.graph_url}/v1.0/roleManagement/directory/roleAssignments"
    plain = client.get(url, headers=token_for()).json()["value"]
    assert all("principal" not in a for a in plain)
    expanded = client.get(url + "?$expand=principal", headers=token_for()).json()["value"]
    assert {a["principal"]["@odata.type"] for a in expanded} == {"#microsoft.graph.user", "#microsoft.graph.group"}


def test_policy_assignments_need_the_filter_and_expand_nested_rules(
    client: httpx.Client, server: SimServer, token_for: Headers
) -> None:
    url = f"{server.graph_url}/v1.0/policies/roleManagementPolicyAssignments"
    assert client.get(url, headers=token_for()).status_code == 400
    query = "?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'"
    shallow = client.get(url + query + "&$expand=policy", headers=token_for()).json()["value"]
    assert [a["id"] for a in shallow] == ["a-1"] and "rules" not in shallow[0]["policy"]
    deep = client.get(url + query + "&$expand=policy($expand=rules)", headers=token_for()).json()["value"]
    assert deep[0]["policy"]["rules"] == [{"id": "Expiration_Admin_Eligibility"}]


def test_pim_without_p2_is_aad_premium_license_required(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.tenant(CONTOSO).service_plans = {"AAD_PREMIUM"}
    response = client.get(
        f"{server.graph_url}/v1.0/roleManagement/directory/roleEligibilityScheduleInstances", headers=token_for()
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "AadPremiumLicenseRequired")


def test_registration_details_without_p1_is_403(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    state.tenant(CONTOSO).service_plans = set()
    response = client.get(
        f"{server.graph_url}/v1.0/reports/authenticationMethods/userRegistrationDetails", headers=token_for()
    )
    assert response.status_code == 403


def test_transitive_members_keep_odata_type_under_select(
    client: httpx.Client, server: SimServer, token_for: Headers
) -> None:
    url = (
        f"{server.graph_url}/v1.0/groups/33333333-3333-4333-8333-333333333333/transitiveMembers"
        "?$select=id,displayName,userPrincipalName&$top=999"
    )
    members = client.get(url, headers=token_for()).json()["value"]
    assert members[0] == {
        "@odata.type": "#microsoft.graph.user",
        "id": "u-1",
        "displayName": "Member",
        "userPrincipalName": "m@x",
    }
    assert members[1] == {"@odata.type": "#microsoft.graph.group", "id": "g-2", "displayName": "Nested"}
    missing = client.get(f"{server.graph_url}/v1.0/groups/nope/transitiveMembers", headers=token_for())
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1.0/nothingHere", 404, "Request_ResourceNotFound"),
        ("/v1.0/users?$skip=5", 400, "Request_UnsupportedQuery"),
        ("/v1.0/users?$filter=startswith(displayName,'A')", 400, "BadRequest"),
        ("/v1.0/policies/authorizationPolicy?$top=1", 400, "Request_UnsupportedQuery"),
        # ge/le only where Graph documents them (userPrincipalName and displayName do; userType does not).
        ("/v1.0/users?$filter=userType ge 'Guest'", 400, "Request_UnsupportedQuery"),
        # The user resource: signInActivity "Supports $filter ... but not with any other filterable properties".
        ("/v1.0/users?$select=id,signInActivity&$filter=signInActivity/lastSignInDateTime eq null and "
         "accountEnabled eq true", 400, "Request_UnsupportedQuery"),
    ],
)
def test_bad_requests_get_graph_errors(
    client: httpx.Client, server: SimServer, token_for: Headers, path: str, status: int, code: str
) -> None:
    response = client.get(server.graph_url + path, headers=token_for())
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"])
def test_missing_or_unknown_token_is_401(client: httpx.Client, server: SimServer, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(f"{server.graph_url}/v1.0/users", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_expired_or_exchange_token_is_401(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    exchange = token_for(resource="exchange")
    assert client.get(f"{server.graph_url}/v1.0/users", headers=exchange).status_code == 401
    graph = token_for()
    state.expire_token(graph["Authorization"].split()[1])
    response = client.get(f"{server.graph_url}/v1.0/users", headers=graph)
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_directory_sync_is_refused_to_application_tokens_as_graph_documents(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    """GET /directory/onPremisesSynchronization: "Application: Not supported" on its Graph page."""
    state.tenant(CONTOSO).graph["/directory/onPremisesSynchronization"] = [{"id": "x", "features": {}}]
    state.grant_consent(CONTOSO, ["OnPremDirectorySynchronization.Read.All", "Directory.Read.All"])
    response = client.get(f"{server.graph_url}/v1.0/directory/onPremisesSynchronization", headers=token_for())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"


def test_upn_ranges_filter_as_documented_and_page_the_range_only(
    client: httpx.Client, server: SimServer, state: SimState, token_for: Headers
) -> None:
    users = [{"id": f"u{n}", "userPrincipalName": upn, "displayName": upn}
             for n, upn in enumerate(["Ann@x", "bob@x", "BOBBY@x", "carl@x", "dora@x"])]
    users.append({"id": "u-null", "userPrincipalName": None, "displayName": "no upn"})
    state.tenant(CONTOSO).graph["/users"] = users

    def ids(query: str) -> list[str]:
        url: str | None = f"{server.graph_url}/v1.0/users?$select=id&$top=2&{query}"
        found: list[str] = []
        while url:
            body = client.get(url, headers=token_for()).json()
            found += [u["id"] for u in body["value"]]
            url = body.get("@odata.nextLink")
        return found

    # Case is ignored; "bob@x" is past "bob" (a longer string), "bobby@x" too; null never matches ge or le.
    assert ids("$filter=userPrincipalName le 'bob'") == ["u0"]
    assert ids("$filter=userPrincipalName ge 'bob' and userPrincipalName le 'carl'") == ["u1", "u2"]
    assert ids("$filter=userPrincipalName ge 'carl'") == ["u3", "u4"]
    assert ids("$filter=userPrincipalName eq null") == ["u-null"]
