"""Outbound anti-spam policies do not turn automatic external forwarding on."""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

#: Modes that block automatic forwarding to outside recipients. Microsoft documents ``Automatic`` as
#: system-controlled, which today means forwarding is off.
_BLOCKING_MODES = {"off", "automatic"}

META = CheckMeta(
    id="exo.forwarding.outbound_policy",
    title="Outbound spam policies block automatic forwarding",
    area="Exchange Online",
    severity=Severity.HIGH,
    collections=("exo_outbound_spam_policies",),
    gates=(Gate.EXCHANGE,),
    references=("CIS M365 v7.0 6.2.1",),
    rationale=(
        "The outbound spam policy decides whether inbox rules and mailbox forwarding may send mail outside the "
        "organisation. A policy set to On lets a compromised mailbox forward everything it receives to an "
        "attacker, silently and for as long as nobody looks."
    ),
    remediation=(
        "Run Set-HostedOutboundSpamFilterPolicy -Identity <policy> -AutoForwardingMode Off for each policy listed, "
        "or in the Microsoft Defender portal go to Email & collaboration > Policies & rules > Threat policies > "
        "Anti-spam, open the outbound policy and set 'Automatic forwarding rules' to Off. Allow forwarding for "
        "named users through a separate policy only where there is a documented business need."
    ),
    decision=(
        "CIS 6.2.1 asks for Off; Microsoft documents Automatic (the default) as system-controlled, which blocks "
        "automatic external forwarding today. We pass Automatic as well as Off and fail only On (or a value we do "
        "not know), so an untouched tenant is not reported for a setting that already blocks forwarding. Setting "
        "Off explicitly protects against a future change of the system default."
    ),
)


def evaluate(data: Collected) -> Verdict:
    policies = data["exo_outbound_spam_policies"]
    modes = {p["Identity"]: p["AutoForwardingMode"] for p in policies}
    allowing = [identity for identity, mode in modes.items() if str(mode).lower() not in _BLOCKING_MODES]
    evidence = {"AutoForwardingMode": modes}
    if not allowing:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=allowing)
