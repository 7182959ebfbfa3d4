"""Cloud passwords do not expire on a schedule (expiry pushes people to predictable passwords).

Only verified domains with ``authenticationType == "Managed"`` are read: a federated domain's password policy
lives with its identity provider. A tenant with none of them gets ``not_applicable`` (``no_managed_domains``).

Decision (checks.md §6.1): ``passwordValidityPeriodInDays`` null passes. Tenants created since late 2021 leave it
unset and Microsoft then defaults to never-expire (ScubaGear's reading, MS.AAD.6.1v1); Maester fails null and
Prowler requires exactly 2147483647. The evidence marks such domains ``implicit_default`` so a reviewer can see it.
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.passwords.never_expire",
    title="Passwords are set to never expire",
    area="Passwords",
    severity=Severity.MEDIUM,
    collections=("domains",),
    references=("MS.AAD.6.1v1", "CIS M365 v7.0 1.3.1"),
    rationale=(
        "Forced periodic changes make people pick passwords that follow a pattern (Spring2025!, Summer2025!) "
        "which attackers guess easily; NIST and Microsoft now advise changing a password only on evidence of "
        "compromise, with MFA and banned-password checks doing the protecting."
    ),
    remediation=(
        "Microsoft 365 admin center > Settings > Org settings > Security & privacy > Password expiration policy: "
        "tick 'Set passwords to never expire (recommended)'. Make sure MFA is enforced first."
    ),
    decision=(
        "passwordValidityPeriodInDays null passes as Microsoft's implicit never-expire default (ScubaGear); "
        "Maester fails null and Prowler requires 2147483647."
    ),
)

_NEVER = 2147483647


def evaluate(data: Collected) -> Verdict:
    managed = [d for d in data["domains"] if d["isVerified"] is True and d["authenticationType"] == "Managed"]
    if not managed:
        return Verdict.not_applicable("no_managed_domains")
    validity: dict[str, int | str] = {}
    expiring: list[str] = []
    for domain in managed:
        days = domain["passwordValidityPeriodInDays"]
        validity[domain["id"]] = "implicit_default" if days is None else days
        if days is not None and days != _NEVER:
            expiring.append(domain["id"])
    evidence = {"passwordValidityPeriodInDays": validity}
    if expiring:
        return Verdict.failed(evidence, affected=expiring)
    return Verdict.passed(evidence)
