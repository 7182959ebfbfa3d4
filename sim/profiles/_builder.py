"""Assemble one ``Tenant`` from a ``Spec``: users, licences, roles, policies, services, Exchange,
and the expected verdicts.

Graph data is keyed by the path without version or query, as ``sim.tenant`` describes; lists are
OData collections of full objects, dicts single entities.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from typing import Any

from sim.profiles import _directory, _services, _tenant_policies
from sim.profiles._catalogue import ALL_PERMISSIONS, EXCHANGE, INTUNE, SHAREPOINT
from sim.profiles._context import NAMESPACE, Context
from sim.profiles._exchange import build_dns, build_exchange
from sim.profiles._expected import expected_verdicts, satisfied_gates
from sim.profiles._groups import business_groups
from sim.profiles._policies import build_ca_policies
from sim.profiles._protection import build_protection
from sim.profiles._roles import build_roles
from sim.profiles._skus import SKUS, enabled_plan_names, subscribed_skus
from sim.profiles._spec import Spec
from sim.profiles._users import BuiltUser, build_users, registration_details
from sim.tenant import DEFENDER_PLANS, Tenant

__all__ = ["MIN_USERS", "build", "default_tenant_id", "slug_of"]

#: Fewest user objects a tenant may have (every profile places at most this many people).
MIN_USERS = 10


def default_tenant_id(profile: str, seed: int) -> str:
    """The tenant id used when none is given: a uuid5 of profile and seed."""
    return str(uuid.uuid5(NAMESPACE, f"tenant/{profile}/{seed}"))


def slug_of(display_name: str) -> str:
    """The domain label for a company name (``Northwind Traders`` -> ``northwindtraders``)."""
    slug = re.sub(r"[^a-z0-9]", "", display_name.lower())
    return slug[:40] or "tenant"


def build(spec: Spec, *, seed: int, users: int, tenant_id: str, display_name: str, now: dt.datetime) -> Tenant:
    """Build the tenant ``spec`` describes."""
    if users < max(MIN_USERS, len(spec.people)):
        raise ValueError(f"profile {spec.name!r} needs at least {max(MIN_USERS, len(spec.people))} users, got {users}")
    ctx = Context(tenant_id, display_name, slug_of(display_name), now, random.Random(f"{spec.name}/{seed}"))
    sku_ids = {key: sku.sku_id for key, sku in SKUS.items()}
    people = build_users(ctx, spec, users, sku_ids)
    consumed: dict[str, int] = {}
    for u in people:
        if u.sku is not None:
            consumed[u.sku] = consumed.get(u.sku, 0) + 1
    skus = subscribed_skus(ctx, spec.licences, consumed)
    plans = enabled_plan_names(skus)
    hybrid = spec.directory.hybrid is not None
    gates = satisfied_gates(plans, hybrid)
    graph = _graph(ctx, spec, people, skus, plans, gates)
    # Expectations from the gates the profile declares; the data from those its SKUs give (a sim test
    # checks the two agree, so a profile cannot claim licences its data does not have).
    expected, reasons = expected_verdicts(spec.fails, spec.reasons, set(spec.gates), spec.not_applicable)
    granted = spec.consent == "granted"
    return Tenant(
        id=tenant_id,
        display_name=display_name,
        default_domain=ctx.initial_domain,
        profile=spec.name,
        consent=spec.consent,
        granted_permissions=set(ALL_PERMISSIONS) if granted else set(),
        exchange_role_assigned=True,
        service_plans=plans,
        graph=graph,
        exchange={**build_exchange(ctx, spec.exchange, people),
                  **build_protection(ctx, spec.exchange, defender=bool(plans & DEFENDER_PLANS))},
        dns=build_dns(ctx, spec.exchange),
        expected=expected if spec.expected_status == "completed" else {},
        break_glass_ids=tuple(u.id for u in people if u.person is not None and u.person.break_glass),
        expected_status=spec.expected_status,
        expected_reasons=reasons if spec.expected_status == "completed" else {},
    )


def _graph(ctx: Context, spec: Spec, people: list[BuiltUser], skus: list[dict[str, Any]], plans: set[str],
           gates: set[str]) -> dict[str, Any]:
    d = spec.directory
    role_graph, admin_ids = build_roles(ctx, spec, people)
    groups, group_members = business_groups(ctx, people)
    role_graph = {**role_graph, **group_members, "/groups": [*role_graph["/groups"], *groups]}
    break_glass = [u.id for u in people if u.person is not None and u.person.break_glass]
    # Admin consent reviewers and the users allowed to join devices: the named admins (not break-glass).
    admins = [u.id for u in people if u.person is not None and u.person.roles and not u.person.break_glass]
    members = [u.graph for u in people if u.kind == "member" and u.graph["accountEnabled"]]
    licensed = [u.graph for u in people if u.kind == "member" and u.sku is not None]
    graph: dict[str, Any] = {
        "/organization": _directory.organization(ctx, plans, d.hybrid is not None, d.custom_domain_federated),
        "/subscribedSkus": skus,
        "/domains": _directory.domains(ctx, d),
        "/identity/conditionalAccess/policies": build_ca_policies(ctx, spec.ca_policies, break_glass),
        "/policies/identitySecurityDefaultsEnforcementPolicy": _tenant_policies.security_defaults(d.security_defaults),
        "/policies/authorizationPolicy": _tenant_policies.authorization_policy(spec.authz),
        "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/delegatedPermissionClassifications":
            _tenant_policies.permission_classifications(spec.authz),
        "/policies/authenticationMethodsPolicy": _tenant_policies.authentication_methods_policy(ctx, spec.auth_methods),
        "/policies/adminConsentRequestPolicy": _tenant_policies.admin_consent_policy(d.admin_consent_workflow,
                                                                                     admins[:2]),
        "/policies/defaultAppManagementPolicy": _tenant_policies.app_management_policy(d.app_password_restriction),
        "/policies/appManagementPolicies": [],  # no custom policy: the default applies to every app
        "/policies/crossTenantAccessPolicy/default":
            _tenant_policies.cross_tenant_default(d.cross_tenant_inbound_blocked),
        "/policies/activityBasedTimeoutPolicies": _tenant_policies.activity_timeout_policies(ctx, d.idle_timeout),
        "/policies/deviceRegistrationPolicy": _tenant_policies.device_registration_policy(d, admins),
        "/groupSettings": _directory.group_settings(ctx, d),
        **role_graph,
        "/users": [u.graph for u in people],
        "/reports/authenticationMethods/userRegistrationDetails": registration_details(ctx, people, admin_ids),
        "/applications": _directory.applications(ctx, d),
        "/directory/onPremisesSynchronization": _directory.directory_sync(ctx, d),
        "/admin/sharepoint/settings": _services.sharepoint_settings(ctx, spec.sharepoint),
        "/deviceManagement/settings": _services.intune_settings(spec.intune),
        "/deviceManagement/deviceCompliancePolicies": _services.compliance_policies(ctx, spec.intune),
        "/deviceManagement/managedDevices": _services.managed_devices(ctx, spec.intune, licensed),
        "/security/secureScores": _services.secure_scores(ctx, spec.secure_score, len(members), len(licensed),
                                                          _score_services(gates)),
        "/security/secureScoreControlProfiles": _services.secure_score_control_profiles(ctx),
    }
    return graph


def _score_services(gates: set[str]) -> list[str]:
    names = {EXCHANGE: "HasExchange", SHAREPOINT: "HasSharePoint", INTUNE: "HasInTune"}
    found = [name for gate, name in names.items() if gate in gates]
    return [*found, "HasOD4B"] if SHAREPOINT in gates else found
