"""No sending IP address is on the connection filter's allow list (it would skip spam filtering)."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="exo.protection.no_ip_allow_list",
    title="No sending IP address bypasses spam filtering",
    area="Email protection",
    severity=Severity.MEDIUM,
    collections=("exo_connection_filter_policies",),
    gates=(Gate.EXCHANGE,),
    references=("MS.SECURITYSUITE.8.1v1", "CIS M365 v7.0 2.1.12"),
    rationale=(
        "Mail from an allowed IP address skips spam filtering: one compromised server, or one address reused by "
        "someone else, delivers phishing straight to the inbox."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Anti-spam > "
        "Connection filter policy (Default) > Edit: remove every address under 'Always allow messages from the "
        "following IP addresses' (use the Tenant Allow/Block List for a specific, expiring exception)."
    ),
    decision="Fails when any connection filter policy has an IPAllowList entry, as ScubaGear's 8.1 rule.",
)


def evaluate(data: Collected) -> Verdict:
    policies = data["exo_connection_filter_policies"]
    allowing = sorted(str(p["Name"]) for p in policies if p["IPAllowList"])
    evidence = {"policies": len(policies), "allowed_ips": sorted({str(ip) for p in policies
                                                                  for ip in p["IPAllowList"] or []})}
    if allowing:
        return Verdict.failed(evidence, affected=allowing)
    return Verdict.passed(evidence)
