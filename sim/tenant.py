"""The simulator's model of one Microsoft 365 tenant: what Entra ID and Graph would return for it.

A tenant is data, built deterministically by a profile (``sim.profiles``) and served by the HTTP
layer (``sim.graph``, ``sim.exchange``, ``sim.identity``). The HTTP layer owns OData behaviour
($select, $top, $filter, $expand, paging, $batch); the tenant only holds full objects.

``graph`` maps a Graph v1.0 path without version or query (``/users``,
``/policies/authorizationPolicy``, ``/groups/<id>/transitiveMembers``) to either a list (an OData
collection: full objects, navigation properties such as ``principal`` or ``assignments`` included
and removed by the server unless ``$expand`` asks for them) or a dict (a single entity).

``exchange`` maps a cmdlet name (``Get-TransportConfig``) to the list of PowerShell-shaped objects
it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: Consent states: ``pending`` (never consented: tokens fail with AADSTS700016), ``granted``,
#: ``revoked`` (the enterprise app was deleted after consent: AADSTS700016), ``disabled`` (the
#: enterprise app was disabled: AADSTS7000112).
ConsentState = Literal["pending", "granted", "revoked", "disabled"]


#: Service plans of Defender for Office 365 (Plan 1, Plan 2): where its Exchange cmdlets exist.
DEFENDER_PLANS = frozenset({"ATP_ENTERPRISE", "THREAT_INTELLIGENCE"})


@dataclass
class Tenant:
    id: str
    display_name: str
    default_domain: str
    profile: str
    consent: ConsentState = "pending"
    #: Application permissions (app roles) granted to the service's app in this tenant, Graph's and
    #: Exchange's (``Exchange.ManageAsApp``) alike.
    granted_permissions: set[str] = field(default_factory=set)
    #: Whether the service's app holds a directory role that the Exchange admin API accepts
    #: (Global Reader). Without it, InvokeCommand answers 403 even with Exchange.ManageAsApp.
    exchange_role_assigned: bool = True
    #: Service plans that decide what the tenant may call (``AAD_PREMIUM``, ``AAD_PREMIUM_P2``, ...).
    service_plans: set[str] = field(default_factory=set)
    graph: dict[str, Any] = field(default_factory=dict)
    exchange: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: What the scanner should conclude, check id -> status (pass, fail, not_applicable, error).
    expected: dict[str, str] = field(default_factory=dict)
    #: The scan status the scanner should reach (``completed``, ``partial``, ``disconnected``). A
    #: ``disconnected`` tenant has no ``expected`` verdicts: no check runs.
    expected_status: str = "completed"
    #: The reason the scanner should give, check id -> reason, for every ``not_applicable`` verdict
    #: (the licence or feature gate, ``license:entra_p1``, ``not_hybrid``...) and for the passes and
    #: failures whose reason the catalogue plan names (``defaults``, ``no_common_exclusion``).
    expected_reasons: dict[str, str] = field(default_factory=dict)
    #: The emergency-access accounts the tenant's MSP has recorded (what the portal keeps per customer
    #: and the scanner reads as ``TenantConfig.break_glass_ids``). ``expected`` assumes them recorded.
    break_glass_ids: tuple[str, ...] = ()
    #: Public DNS of the tenant's domains: name -> its TXT records (each a string), or None for a name
    #: whose lookup fails (SERVFAIL). A name not listed does not exist (NXDOMAIN).
    dns: dict[str, list[str] | None] = field(default_factory=dict)
    #: The Graph handler's filtered lists, (data key, $filter) -> (list, its length, matches).
    filter_memo: dict[tuple[str, str | None], tuple[list[Any], int, list[Any]]] = field(
        default_factory=dict, repr=False, compare=False)
