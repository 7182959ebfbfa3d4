"""Directory synchronisation from on-premises AD is running.

Why not password hash sync or soft/hard-match blocking: those live in
``/directory/onPremisesSynchronization``, which Graph documents as "Application: Not supported", so
an app-only scanner cannot read them. What it can read is ``organization.onPremisesLastSyncDateTime``.
A hybrid tenant whose sync stopped keeps accounts enabled in the cloud that were disabled on-premises
(leavers keep access), which is the failure that matters most day to day.
"""

import datetime as dt

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

#: Entra Connect syncs every 30 minutes; three days of silence means it has stopped, not that it is slow.
MAX_SYNC_AGE = dt.timedelta(days=3)

META = CheckMeta(
    id="entra.hybrid.sync_recent",
    title="Directory synchronisation ran in the last three days",
    area="Hybrid identity",
    severity=Severity.MEDIUM,
    collections=("organization",),
    gates=(Gate.HYBRID,),
    references=("MT.1073",),
    rationale=(
        "When Entra Connect or Cloud Sync stops, accounts disabled in on-premises AD stay enabled in Microsoft 365, "
        "so people who left keep their access, and password changes stop reaching the cloud."
    ),
    remediation=(
        "Check the Entra Connect Sync server (Synchronization Service Manager, Windows event log) or Cloud Sync agent "
        "health in Entra admin center > Identity > Hybrid management; restart the service or agent and re-run a delta "
        "sync (Start-ADSyncSyncCycle -PolicyType Delta)."
    ),
    decision=(
        "Password hash sync and object-takeover blocking (CIS 5.1.8.1, MT.1073) cannot be read with application "
        "permissions; this check reports the sync health that can be read instead."
    ),
)


def evaluate(data: Collected) -> Verdict:
    org = data["organization"][0]
    last = org["onPremisesLastSyncDateTime"]
    evidence = {"onPremisesLastSyncDateTime": last}
    if last is None:
        return Verdict.failed(evidence, affected=[org["id"]], reason="never_synced")
    age = data.now - dt.datetime.fromisoformat(last.replace("Z", "+00:00"))
    if age > MAX_SYNC_AGE:
        return Verdict.failed({**evidence, "age_days": age.days}, affected=[org["id"]], reason="sync_stale")
    return Verdict.passed(evidence)
