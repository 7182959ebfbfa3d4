"""How a scan behaves at the edges, end to end over HTTPS against the simulator."""

from __future__ import annotations

import pytest

from scanner import (
    AppCredentials,
    CredentialInvalid,
    Endpoints,
    Status,
    TokenProvider,
    required_permissions,
    scan_tenant,
    select_checks,
)
from scanner.checks import TenantConfig, catalogue
from scanner.collections import COLLECTIONS, ExchangeCollection
from sim import ServiceApp, SimServer, SimState
from sim.profiles import build_tenant
from tests.integration.conftest import World


def _sent_paths(world: World) -> set[str]:
    lines = world.state.log.lines()
    return {line["path"].split("?")[0] for line in lines if line["kind"] in ("graph", "batch_subrequest")}


async def test_one_check_sends_only_what_it_needs(clean_world: World):
    result = await clean_world.scan("typical", checks=select_checks(["entra.authz.no_user_app_registration"]))
    assert [r.status for r in result.checks] == [Status.PASS]
    assert _sent_paths(clean_world) == {"/organization", "/subscribedSkus", "/policies/authorizationPolicy"}
    # Discovery and token, then one $batch carrying the three reads.
    assert result.stats.requests == 3
    assert clean_world.state.log.total("exchange") == 0


async def test_every_collection_is_requested_once(clean_world: World):
    result = await clean_world.scan("secure")
    assert result.status == "completed"
    subrequests = [line["path"] for line in clean_world.state.log.lines() if line["kind"] == "batch_subrequest"]
    first_pages = [p for p in subrequests if "$skiptoken" not in p]
    assert len(first_pages) == len(set(first_pages))


async def test_missing_graph_permission_errors_only_the_affected_checks(clean_world: World):
    tenant = clean_world.tenants["typical"]
    clean_world.state.remove_permission(tenant.id, "Policy.Read.All")
    try:
        result = await clean_world.scan("typical")
    finally:
        clean_world.state.restore_permission(tenant.id, "Policy.Read.All")
    by_id = {r.id: r for r in result.checks}
    assert result.status == "partial"
    assert by_id["entra.ca.block_legacy_auth"].status is Status.ERROR
    assert by_id["entra.ca.block_legacy_auth"].reason == "insufficient_permission:Policy.Read.All"
    assert by_id["entra.authz.no_user_app_registration"].reason == "insufficient_permission:Policy.Read.All"
    # Checks on other data still ran and kept their verdicts.
    assert by_id["spo.legacy_auth_disabled"].status.value == tenant.expected["spo.legacy_auth_disabled"]
    assert by_id["exo.smtp_auth.org_disabled"].status.value == tenant.expected["exo.smtp_auth.org_disabled"]
    assert 0 < result.coverage < 1


async def test_missing_exchange_role_says_what_to_assign(clean_world: World):
    tenant = clean_world.tenants["typical"]
    clean_world.state.set_exchange_role(tenant.id, False)
    try:
        result = await clean_world.scan("typical")
    finally:
        clean_world.state.set_exchange_role(tenant.id, True)
    exchange_checks = [r for r in result.checks if any(
        isinstance(COLLECTIONS[c], ExchangeCollection) for c in r.meta.collections)]
    assert exchange_checks
    assert {(r.status, r.reason) for r in exchange_checks} == {(Status.ERROR, "exchange_role_missing")}
    assert "Global Reader" in exchange_checks[0].evidence["detail"]
    assert result.status == "partial"
    graph_only = [r for r in result.checks if r not in exchange_checks and r.status is Status.ERROR]
    assert graph_only == []


async def test_consent_revoked_between_scans_disconnects(clean_world: World):
    tenant = clean_world.tenants["hybrid"]
    tokens = clean_world.tokens()
    first = await clean_world.scan("hybrid", checks=select_checks(["entra.authz.no_user_app_registration"]),
                                   tokens=tokens)
    assert first.status == "completed"
    clean_world.state.revoke_consent(tenant.id)
    try:
        # Same provider: its cached token is now rejected (401), it asks again and learns of the revocation.
        second = await clean_world.scan("hybrid", tokens=tokens)
    finally:
        clean_world.state.grant_consent(tenant.id)
    assert second.status == "disconnected"
    assert second.checks == ()


async def test_licence_gated_checks_are_not_applicable_not_failed(clean_world: World):
    result = await clean_world.scan("free")
    ca = [r for r in result.checks if r.id.startswith("entra.ca.")]
    assert ca and {(r.status, r.reason) for r in ca} == {(Status.NOT_APPLICABLE, "license:entra_p1")}


def test_catalogue_and_simulator_cover_the_same_exchange_cmdlets(world: World):
    cmdlets = {COLLECTIONS[n].cmdlet for c in catalogue() for n in c.meta.collections
               if isinstance(COLLECTIONS[n], ExchangeCollection)}
    assert cmdlets <= set(world.tenants["typical"].exchange)


async def test_secret_credential_works_and_a_wrong_secret_is_a_platform_error(tmp_path):
    app, secret = ServiceApp.with_secret(required_permissions=required_permissions())
    state = SimState(app=app)
    tenant = state.add_tenant(build_tenant("typical", users=20))
    with SimServer(state, ca_dir=tmp_path) as server:
        endpoints = Endpoints(server.authority_host, server.graph_url, server.exchange_url)

        async def scan(secret_value: str):
            tokens = TokenProvider(AppCredentials(client_id=app.client_id, client_secret=secret_value), endpoints,
                                   ca_bundle=str(server.ca_cert_path))
            return await scan_tenant(tenant.id, tokens=tokens, graph_url=server.graph_url,
                                     exchange_url=server.exchange_url, ca_bundle=str(server.ca_cert_path),
                                     checks=select_checks(["entra.authz.no_user_app_registration"]))

        assert (await scan(secret)).status == "completed"
        with pytest.raises(CredentialInvalid):
            await scan(secret + "x")


async def test_pim_for_groups_policies_and_eligibility_are_read_and_judged(clean_world: World):
    """A role group's PIM for Groups policy and its eligible members travel from the simulator into the
    verdicts: a silent membership policy fails 7.9, and a user eligible for membership counts as an admin."""
    tenant = clean_world.tenants["secure"]
    graph = tenant.graph
    group_policy = next(p for p in graph["/policies/roleManagementPolicyAssignments"] if p["scopeType"] == "Group")
    rule = next(r for r in group_policy["policy"]["rules"] if r["id"] == "Notification_Admin_EndUser_Assignment")
    recipients, rule["notificationRecipients"] = rule["notificationRecipients"], []
    admins = {a["principalId"] for a in graph["/roleManagement/directory/roleAssignments"]} | {
        a["principalId"] for a in graph["/roleManagement/directory/roleEligibilityScheduleInstances"]} | {
        m["id"] for m in graph[f"/groups/{group_policy['scopeId']}/transitiveMembers"]}
    member = next(u for u in graph["/users"] if u["userType"] == "Member" and u["id"] not in admins)
    eligibility = "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
    graph[eligibility] = [{"id": "pim-group-eligibility-1", "groupId": group_policy["scopeId"],
                           "principalId": member["id"], "accessId": "member", "memberType": "direct",
                           "startDateTime": "2026-09-01T08:00:00Z", "endDateTime": None,
                           "principal": {"@odata.type": "#microsoft.graph.user", **member}}]
    try:
        result = await clean_world.scan("secure", checks=select_checks(
            ["entra.pim.privileged_activation_alerts", "entra.roles.least_privilege_ratio"]))
    finally:
        rule["notificationRecipients"] = recipients
        graph[eligibility] = []
    by_id = {r.id: r for r in result.checks}
    alerts = by_id["entra.pim.privileged_activation_alerts"]
    assert (alerts.status, alerts.affected) == (Status.FAIL, ["group SG-Role-UserAdministrators"])
    before = (await clean_world.scan("secure", checks=select_checks(["entra.roles.least_privilege_ratio"]))).checks[0]
    ratio = by_id["entra.roles.least_privilege_ratio"]
    assert ratio.evidence["other_privileged_users"] == before.evidence["other_privileged_users"] + 1


MAIL_CHECKS = ["exo.spf_published", "exo.dkim_enabled", "exo.dmarc.published", "exo.dmarc.reject", "exo.dmarc.reports"]


async def test_mail_checks_read_the_tenants_public_dns(clean_world: World):
    """The secure tenant's domains publish SPF, DKIM keys and a rejecting DMARC policy, resolved over real
    DNS from the simulator's server; an unpublished key then fails DKIM."""
    result = await clean_world.scan("secure", checks=select_checks(MAIL_CHECKS))
    assert {r.id: r.status for r in result.checks} == dict.fromkeys(MAIL_CHECKS, Status.PASS)
    tenant = clean_world.tenants["secure"]
    custom = next(d["DomainName"] for d in tenant.exchange["Get-AcceptedDomain"] if not d["InitialDomain"])
    keys = {name: tenant.dns.pop(name) for name in list(tenant.dns) if name.endswith(f"_domainkey.{custom}")}
    try:
        dkim = (await clean_world.scan("secure", checks=select_checks(["exo.dkim_enabled"]))).checks[0]
    finally:
        tenant.dns.update(keys)
    assert (dkim.status, dkim.evidence["failing"]) == (Status.FAIL, {custom: "key_not_published"})


async def test_without_dns_the_mail_checks_say_error_and_the_rest_keep_their_verdicts(clean_world: World):
    tenant = clean_world.tenants["secure"]
    result = await scan_tenant(
        tenant.id, tokens=clean_world.tokens(), graph_url=clean_world.server.graph_url,
        exchange_url=clean_world.server.exchange_url, ca_bundle=str(clean_world.server.ca_cert_path),
        config=TenantConfig(break_glass_ids=frozenset(tenant.break_glass_ids)), dns_resolver="none",
    )
    by_id = {r.id: r for r in result.checks}
    assert {(by_id[c].status, by_id[c].reason) for c in MAIL_CHECKS} == {(Status.ERROR, "dns_unreachable")}
    assert result.status == "partial"
    others = [r for r in result.checks if r.id not in MAIL_CHECKS]
    assert all(r.status.value == tenant.expected[r.id] for r in others)


async def test_a_malformed_accepted_domain_errors_the_mail_checks_and_the_scan_goes_on(clean_world: World):
    tenant = clean_world.tenants["secure"]
    accepted = tenant.exchange["Get-AcceptedDomain"]
    accepted.append({"Identity": "broken", "Name": "broken", "DomainName": None, "DomainType": "Authoritative"})
    try:
        result = await clean_world.scan("secure", checks=select_checks([*MAIL_CHECKS, "exo.modern_auth"]))
    finally:
        accepted.pop()
    by_id = {r.id: r for r in result.checks}
    assert {by_id[c].status for c in MAIL_CHECKS} == {Status.ERROR}
    assert by_id["exo.spf_published"].reason == "malformed_data"
    assert by_id["exo.modern_auth"].status is Status.PASS
    assert result.status == "partial"


async def test_the_directory_and_the_billing_groups_are_read_over_https(clean_world: World):
    """What an MSP bills a shared tenant by, read from the simulator as from Microsoft: the verified
    domains, the groups (sim.profiles._groups: three departments splitting the members, everyone in a
    Microsoft 365 group), and the members of the groups asked for."""
    from sim.profiles._groups import DEPARTMENTS

    tenant = clean_world.tenants["typical"]
    first = await scan_tenant(tenant.id, tokens=clean_world.tokens(), graph_url=clean_world.server.graph_url,
                              exchange_url=clean_world.server.exchange_url, checks=[], directory=True,
                              ca_bundle=str(clean_world.server.ca_cert_path))
    assert first.directory is not None
    names = {d["name"] for d in first.directory["domains"]}
    assert any(n.endswith(".onmicrosoft.com") for n in names) and len(names) == 2
    kinds = {g["name"]: g["kind"] for g in first.directory["groups"]}
    assert {kinds[d] for d in DEPARTMENTS} == {"security"} and kinds["All staff"] == "microsoft365"
    # The simulator's members sign in and get mail on the initial domain; no billing group asked for.
    initial = next(d["name"] for d in first.directory["domains"] if d["initial"])
    licensed = first.environment["licensed"]
    assert licensed and first.environment["licensed_partitions"] == [
        {"domains": [initial], "groups": [], "count": licensed}]

    sales = next(g["id"] for g in first.directory["groups"] if g["name"] == "Sales")
    finance = next(g["id"] for g in first.directory["groups"] if g["name"] == "Finance")
    second = await scan_tenant(tenant.id, tokens=clean_world.tokens(), graph_url=clean_world.server.graph_url,
                               exchange_url=clean_world.server.exchange_url, checks=[], directory=True,
                               billing_groups=[sales, finance, "00000000-0000-0000-0000-00000000dead"],
                               ca_bundle=str(clean_world.server.ca_cert_path))
    parts = second.environment["licensed_partitions"]
    assert sum(p["count"] for p in parts) == licensed  # every licensed member once, none twice
    in_groups = {tuple(p["groups"]): p["count"] for p in parts}
    assert set(in_groups) <= {(), (sales,), (finance,)}  # departments do not overlap; a gone group is skipped
    assert in_groups.get((sales,), 0) > 0 and in_groups.get((finance,), 0) > 0
    members_read = [line["path"] for line in clean_world.state.log.lines()
                    if line["kind"] in ("graph", "batch_subrequest") and "/transitiveMembers" in line["path"]]
    assert any(sales in p for p in members_read) and not any("dead" in p for p in members_read)
