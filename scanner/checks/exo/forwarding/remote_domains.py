"""No remote domain allows automatic forwarding (ScubaGear's reading of MS.EXO.1.1v2).

The built-in ``Default`` remote domain (``DomainName`` ``*``) allows automatic forwarding out of the box, so a
tenant nobody has touched fails here; that is the intent of the SCuBA policy.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="exo.forwarding.remote_domains",
    title="Remote domains do not allow automatic forwarding",
    area="Exchange Online",
    severity=Severity.HIGH,
    collections=("exo_remote_domains",),
    gates=(Gate.EXCHANGE,),
    references=("MS.EXO.1.1v2",),
    rationale=(
        "An attacker who takes over a mailbox usually adds a rule that forwards every message to an outside "
        "address, and keeps reading mail after the password is reset. Blocking automatic forwarding at the "
        "remote domain stops those rules from delivering outside the organisation."
    ),
    remediation=(
        "Run Set-RemoteDomain -Identity Default -AutoForwardEnabled $false, and the same for every other remote "
        "domain listed; or in the Exchange admin center go to Mail flow > Remote domains, open each domain and "
        "clear 'Allow automatic forwarding'."
    ),
    versus_scuba=(
        "stricter: no remote domain may forward; ScubaGear v2 accepts domains listed in its configuration"
    ),
)


def evaluate(data: Collected) -> Verdict:
    domains = data["exo_remote_domains"]
    forwarding = [d["DomainName"] for d in domains if d["AutoForwardEnabled"] is True]
    evidence = {"remote_domains_read": len(domains), "allowing_auto_forward": len(forwarding)}
    if not forwarding:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=forwarding)
