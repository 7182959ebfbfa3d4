"""No mailbox forwards its mail to an address outside the tenant's own domains.

``ForwardingSmtpAddress`` is the forwarding an admin or the user (through Outlook on the web) sets on the
mailbox; Exchange writes it as ``smtp:user@domain``. A target counts as internal only when its domain is one of
the tenant's *verified* domains exactly (case-insensitive); subdomains are separate entries in ``/domains``. A
domain added but never verified proves nothing about who receives its mail: anyone can add any name.
``ForwardingAddress`` (forwarding to a recipient object) is not read here.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="exo.forwarding.mailboxes",
    title="No mailbox forwards to an external address",
    area="Exchange Online",
    severity=Severity.MEDIUM,
    collections=("exo_mailboxes", "domains"),
    gates=(Gate.EXCHANGE,),
    references=(),
    rationale=(
        "Mailbox forwarding to a personal or unknown address copies every message out of the organisation. It is "
        "a common sign of a compromised account, and a common way for leavers to keep receiving company mail."
    ),
    remediation=(
        "Confirm with the mailbox owner, then remove the forwarding with Set-Mailbox -Identity <address> "
        "-ForwardingSmtpAddress $null -DeliverToMailboxAndForward $false, or in the Microsoft 365 admin center open "
        "the user > Mail > Email forwarding and turn it off. If the account may be compromised, reset its password "
        "and revoke its sessions first."
    ),
    decision=(
        "Not ScubaGear's MS.EXO.1.1v2, which reads remote domains only (exo.forwarding.remote_domains carries it): "
        "this check looks at each mailbox's own forwarding, which remote-domain settings do not always stop. "
        "Only verified domains are internal."
    ),
)


def _target_address(forwarding: str) -> str:
    scheme, sep, address = forwarding.partition(":")
    return address if sep and scheme.lower() == "smtp" else forwarding


def evaluate(data: Collected) -> Verdict:
    own_domains = {d["id"].lower() for d in data["domains"] if d["isVerified"] is True}
    mailboxes = data["exo_mailboxes"]
    external: dict[str, str] = {}
    for mailbox in mailboxes:
        forwarding = mailbox["ForwardingSmtpAddress"]
        if not forwarding:
            continue
        target = _target_address(forwarding)
        if target.rpartition("@")[2].lower() not in own_domains:
            external[mailbox["PrimarySmtpAddress"]] = target
    evidence = {
        "mailboxes_read": len(mailboxes),
        "tenant_domains": sorted(own_domains),
        "external_forwarding": external,
    }
    if not external:
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, affected=list(external))
