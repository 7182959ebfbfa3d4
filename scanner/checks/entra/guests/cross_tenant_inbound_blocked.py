"""B2B collaboration from other tenants is blocked by default; partners are allowed one by one.

The rule is Maester's (``Test-MtCisaCrossTenantInboundDefault``): the default inbound setting blocks both
users and applications. No SCuBA policy is cited: Maester files it under MS.AAD.8.3v1, but that policy is
the guest-invitation domain allow-list, a different control (and "not implemented" in ScubaGear).
Partner organisations configured under "Organizational settings" are not read: they are the intended
exceptions.
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.guests.cross_tenant_inbound_blocked",
    title="Inbound B2B collaboration is blocked by default",
    area="Guest access",
    severity=Severity.LOW,
    collections=("cross_tenant_default",),
    references=(),
    rationale=(
        "With the service default, a user from any Entra tenant in the world can be invited and reach your apps. "
        "Blocking by default and allowing named partner tenants keeps guests to organisations you chose."
    ),
    remediation=(
        "Entra admin center > Identity > External Identities > Cross-tenant access settings > Default settings > "
        "Inbound access settings > B2B collaboration: set 'External users and groups' and 'Applications' to Block "
        "access. Then add each partner under Organizational settings with the access it needs."
    ),
)


def evaluate(data: Collected) -> Verdict:
    inbound = data["cross_tenant_default"]["b2bCollaborationInbound"]
    users_access = inbound["usersAndGroups"]["accessType"]
    apps_access = inbound["applications"]["accessType"]
    evidence = {
        "b2bCollaborationInbound.usersAndGroups.accessType": users_access,
        "b2bCollaborationInbound.applications.accessType": apps_access,
    }
    if users_access == "blocked" and apps_access == "blocked":
        return Verdict.passed(evidence)
    return Verdict.failed(evidence)
