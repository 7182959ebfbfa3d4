"""The tenant has finished moving MFA and SSPR methods to the authentication methods policy."""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.authmethods.migration_complete",
    title="Authentication methods policy migration is complete",
    area="Authentication methods",
    severity=Severity.MEDIUM,
    collections=("auth_methods_policy",),
    references=("MS.AAD.3.4v1", "EIDSCA.AG01"),
    rationale=(
        "Until the migration is complete, the legacy per-user MFA and SSPR settings still decide which methods "
        "work, so turning a weak method off in the authentication methods policy may not take effect."
    ),
    remediation=(
        "Entra admin center > Entra ID > Authentication methods > Policies > Manage migration: review the legacy "
        "MFA and SSPR method settings, mirror them in the policy, then set the state to 'Migration Complete'."
    ),
    decision=(
        "A null policyMigrationState passes, as in ScubaGear: Microsoft leaves it null on tenants that never had "
        "the legacy settings. An absent property (older response shape) is read the same way; only "
        "'preMigration' and 'migrationInProgress' (or an unknown future value) fail."
    ),
)


def evaluate(data: Collected) -> Verdict:
    policy = data["auth_methods_policy"]
    # Absence is a documented decision (META.decision), not a default standing in for data.
    state = policy.get("policyMigrationState")
    evidence = {"policyMigrationState": state, "reported": "policyMigrationState" in policy}
    if state == "migrationComplete":
        return Verdict.passed(evidence)
    if state is None:
        return Verdict.passed(evidence, reason="state_not_reported")
    return Verdict.failed(evidence, reason="migration_incomplete")
