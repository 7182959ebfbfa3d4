"""Tenant data: every request the scanner makes is answerable, and objects have Graph's documented shape.

The scanner's requests are read from ``scanner/collections.py`` as text (``sim`` and its tests do not
import the scanner); the documented shapes from ``/work/shared/graph-examples`` (or the copies in
``tests/fixtures/graph``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sim.profiles import PROFILES
from tests.sim.profiles.conftest import built

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = (ROOT / "scanner" / "collections.py").read_text()
EXAMPLES = Path("/work/shared/graph-examples")
if not EXAMPLES.is_dir():
    EXAMPLES = ROOT / "tests" / "fixtures" / "graph"
PROFILE_NAMES = [p for p in PROFILES if p != "large"]

#: Properties a real tenant may send as null although the documentation example shows a value.
NULLABLE = {
    "mail",  # accounts without a mailbox (break-glass, admin accounts)
    "availabilityStatus",  # only set by the verify action; the example shows a placeholder
    "allowUserConsentForRiskyApps",  # null when never set (the catalogue treats it as false)
    "lastSignInDateTime", "lastSignInRequestId", "lastNonInteractiveSignInDateTime",
    "lastNonInteractiveSignInRequestId", "lastSuccessfulSignInDateTime", "lastSuccessfulSignInRequestId",
}

#: Documentation example file (name without number prefix) -> graph key, and whether the example
#: wraps the entity in ``value``.
EXAMPLE_KEYS = {
    "identity-conditionalaccess-policies": "/identity/conditionalAccess/policies",
    "security-securescores": "/security/secureScores",
    "security-securescorecontrolprofiles": "/security/secureScoreControlProfiles",
    "policies-adminconsentrequestpolicy": "/policies/adminConsentRequestPolicy",
    "subscribedskus": "/subscribedSkus",
    "policies-deviceregistrationpolicy": "/policies/deviceRegistrationPolicy",
    "policies-defaultappmanagementpolicy": "/policies/defaultAppManagementPolicy",
    "users": "/users",
    "policies-authorizationpolicy": "/policies/authorizationPolicy",
    "policies-authenticationmethodspolicy": "/policies/authenticationMethodsPolicy",
    "policies-identitysecuritydefaultsenforcementpolicy": "/policies/identitySecurityDefaultsEnforcementPolicy",
    "domains": "/domains",
    "rolemanagement-directory-roleassignments": "/roleManagement/directory/roleAssignments",
    "policies-rolemanagementpolicyassignments": "/policies/roleManagementPolicyAssignments",
    "admin-sharepoint-settings": "/admin/sharepoint/settings",
    "reports-authenticationmethods-userregistrationdetails": "/reports/authenticationMethods/userRegistrationDetails",
}


def _scanner_graph_paths() -> set[str]:
    found = re.findall(r'GraphCollection\(\s*"\w+",\s*f?"(/[^"?]*)', COLLECTIONS)
    return set(found)


def _scanner_cmdlets() -> set[str]:
    return set(re.findall(r'ExchangeCollection\(\s*"\w+",\s*"([\w-]+)"', COLLECTIONS))


def _scanner_permissions() -> set[str]:
    return set(re.findall(r'"([A-Z][A-Za-z]+\.(?:Read[A-Za-z.]*|ManageAsApp))"', COLLECTIONS))


def _privileged_role_ids() -> set[str]:
    block = COLLECTIONS[COLLECTIONS.index("PRIVILEGED_ROLE_IDS"):COLLECTIONS.index("@dataclass")]
    return set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", block))


def test_scanner_requests_were_read_from_collections():
    assert len(_scanner_graph_paths()) >= 20
    assert {"/users", "/admin/sharepoint/settings", "/policies/roleManagementPolicyAssignments"} <= \
        _scanner_graph_paths()
    assert len(_scanner_cmdlets()) == 20
    assert len(_privileged_role_ids()) == 10


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_graph_path_the_scanner_reads_is_present(profile):
    graph = built(profile).graph
    missing = sorted(p for p in _scanner_graph_paths() if p not in graph)
    assert missing == []


#: The cmdlets that exist only with Defender for Office 365 (read from the simulator's documentation).
DEFENDER_CMDLETS = {"Get-ATPProtectionPolicyRule", "Get-SafeAttachmentPolicy", "Get-SafeLinksPolicy",
                    "Get-AtpPolicyForO365"}


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_cmdlet_the_scanner_runs_has_data(profile):
    tenant = built(profile)
    defender = bool(tenant.service_plans & {"ATP_ENTERPRISE", "THREAT_INTELLIGENCE"})
    wanted = _scanner_cmdlets() if defender else _scanner_cmdlets() - DEFENDER_CMDLETS
    assert sorted(c for c in wanted if not tenant.exchange.get(c)) == []
    if not defender:  # without the licence the cmdlets do not exist (the HTTP layer says "not recognized")
        assert DEFENDER_CMDLETS.isdisjoint(tenant.exchange)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_groups_holding_privileged_roles_list_their_members(profile):
    graph = built(profile).graph
    for assignment in graph["/roleManagement/directory/roleAssignments"]:
        if assignment["principal"]["@odata.type"] == "#microsoft.graph.group" and \
                assignment["roleDefinitionId"] in _privileged_role_ids():
            members = graph[f"/groups/{assignment['principalId']}/transitiveMembers"]
            assert members and all(m["@odata.type"] == "#microsoft.graph.user" for m in members)


def test_secure_holds_a_privileged_role_through_a_group():
    graph = built("secure").graph
    groups = [a for a in graph["/roleManagement/directory/roleAssignments"]
              if a["principal"]["@odata.type"] == "#microsoft.graph.group" and a["roleDefinitionId"] in
              _privileged_role_ids()]
    assert len(groups) == 1
    assert len(graph[f"/groups/{groups[0]['principalId']}/transitiveMembers"]) == 2


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_granted_permissions_cover_every_collection(profile):
    tenant = built(profile)
    if tenant.consent == "granted":
        assert _scanner_permissions() - tenant.granted_permissions == set()


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_service_plans_are_those_of_enabled_skus(profile):
    tenant = built(profile)
    names = {p["servicePlanName"] for s in tenant.graph["/subscribedSkus"] if s["capabilityStatus"] == "Enabled"
             for p in s["servicePlans"]}
    assert tenant.service_plans == names
    assert any(p.startswith("EXCHANGE_S_") for p in names)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_licence_counts_match_assignments(profile):
    tenant = built(profile)
    for sku in tenant.graph["/subscribedSkus"]:
        assigned = sum(1 for u in tenant.graph["/users"] for lic in u["assignedLicenses"]
                       if lic["skuId"] == sku["skuId"])
        assert sku["consumedUnits"] == assigned, sku["skuPartNumber"]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_mailboxes_belong_to_users(profile):
    tenant = built(profile)
    users = {u["id"]: u for u in tenant.graph["/users"]}
    mailboxes = tenant.exchange["Get-Mailbox"]
    assert {m["RecipientTypeDetails"] for m in mailboxes} == {"UserMailbox", "SharedMailbox"}
    for mailbox in mailboxes:
        user = users[mailbox["ExternalDirectoryObjectId"]]
        assert mailbox["UserPrincipalName"] == user["userPrincipalName"]
    cas = {c["ExternalDirectoryObjectId"] for c in tenant.exchange["Get-CASMailbox"]}
    assert cas == {m["ExternalDirectoryObjectId"] for m in mailboxes}


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_registration_rows_exist_for_members(profile):
    graph = built(profile).graph
    rows = {r["id"] for r in graph["/reports/authenticationMethods/userRegistrationDetails"]}
    assert {u["id"] for u in graph["/users"] if u["userType"] == "Member"} <= rows


def _examples() -> list[tuple[str, Any]]:
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        name = re.sub(r"^\d+_\d+-", "", path.stem)
        if name in EXAMPLE_KEYS:
            out.append((EXAMPLE_KEYS[name], json.loads(path.read_text())["response"]))
    return out


def _template(item: Any, documented: list[Any]) -> Any:
    """The documented item to compare ``item`` with: same id, else same @odata.type, else the first."""
    if not isinstance(item, dict):
        return documented[0]
    for key in ("id", "@odata.type"):
        for doc in documented:
            if isinstance(doc, dict) and key in doc and doc.get(key) == item.get(key):
                return doc
    typed = any(isinstance(d, dict) and "@odata.type" in d for d in documented)
    return None if typed else documented[0]


def _compare(ours: Any, doc: Any, where: str, problems: list[str]) -> None:
    name = where.rsplit(".", 1)[-1].rstrip("[]")
    if doc is None:
        return
    if ours is None:
        if name not in NULLABLE:
            problems.append(f"{where}: null where the documentation has {type(doc).__name__}")
        return
    if isinstance(doc, dict):
        if not isinstance(ours, dict):
            problems.append(f"{where}: {type(ours).__name__} where the documentation has an object")
            return
        if "@odata.type" in doc and ours.get("@odata.type") != doc["@odata.type"]:
            return  # another kind of object (a group principal where the example shows a user)
        for key, value in doc.items():
            if key in ("@odata.context", "@odata.id"):
                continue
            if key not in ours:
                problems.append(f"{where}.{key}: missing")
            else:
                _compare(ours[key], value, f"{where}.{key}", problems)
    elif isinstance(doc, list):
        if not isinstance(ours, list):
            problems.append(f"{where}: {type(ours).__name__} where the documentation has a list")
            return
        if doc:
            for item in ours:
                template = _template(item, doc)
                if template is not None:
                    _compare(item, template, f"{where}[]", problems)
    elif isinstance(doc, bool) or isinstance(ours, bool):
        if type(doc) is not type(ours):
            problems.append(f"{where}: {ours!r} where the documentation has {doc!r}")
    elif isinstance(doc, (int, float)):
        if not isinstance(ours, (int, float)):
            problems.append(f"{where}: {ours!r} where the documentation has a number")
    elif not isinstance(ours, type(doc)):
        problems.append(f"{where}: {ours!r} where the documentation has {type(doc).__name__}")


def test_documentation_examples_were_found():
    assert len(_examples()) == len(EXAMPLE_KEYS)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_objects_have_the_documented_properties_and_types(profile):
    graph = built(profile).graph
    problems: list[str] = []
    for key, response in _examples():
        ours = graph[key]
        # Collections and the SharePoint example wrap their content in "value"; other entities do not.
        wrapped = isinstance(ours, list) or key == "/admin/sharepoint/settings"
        _compare(ours, response["value"] if wrapped else response, key, problems)
    assert problems == []


def test_the_shape_comparison_catches_a_missing_property():
    problems: list[str] = []
    _compare({"id": "a", "state": None}, {"id": "x", "state": "enabled", "conditions": {}}, "p", problems)
    assert problems == ["p.state: null where the documentation has str", "p.conditions: missing"]
