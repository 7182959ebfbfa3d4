"""Microsoft's third-party safe list of senders is not trusted to skip spam filtering."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="exo.protection.safe_list_off",
    title="The connection filter safe list is off",
    area="Email protection",
    severity=Severity.LOW,
    collections=("exo_connection_filter_policies",),
    gates=(Gate.EXCHANGE,),
    references=("MS.SECURITYSUITE.8.2v1", "CIS M365 v7.0 2.1.13"),
    rationale=(
        "The safe list is a list of sending IP addresses bought from third parties; mail from them skips spam "
        "filtering although nobody in the company chose to trust them."
    ),
    remediation=(
        "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Anti-spam > "
        "Connection filter policy (Default) > Edit: clear 'Turn on safe list' "
        "(Set-HostedConnectionFilterPolicy -Identity Default -EnableSafeList $false)."
    ),
    decision="Fails when any connection filter policy has EnableSafeList on, as ScubaGear's 8.2 rule.",
)


def evaluate(data: Collected) -> Verdict:
    policies = data["exo_connection_filter_policies"]
    on = sorted(str(p["Name"]) for p in policies if p["EnableSafeList"] is True)
    evidence = {"policies": len(policies), "with_safe_list": on}
    if on:
        return Verdict.failed(evidence, affected=on)
    return Verdict.passed(evidence)
