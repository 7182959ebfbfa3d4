"""No app registration holds a client secret valid for more than 180 days, or an expired one left behind.

No benchmark id fits: the rule is Maester's app-secret test (``Test-MtAppRegistrationsWithSecrets``), relaxed.
Decision: Maester's strict test fails any secret at all; we allow secrets that live at most 180 days (the
MS.AAD.5.6v1 lifetime), because many SaaS connectors still accept nothing else. Secrets are judged by their own
start and end dates (Graph sends both for every password credential); "expired" is measured against the scan's
clock, ``data.now``. Certificates (``keyCredentials``) are not judged here.
"""

import datetime as dt

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.apps.no_long_lived_secrets",
    title="App secrets are short-lived and none are left expired",
    area="Applications",
    severity=Severity.MEDIUM,
    collections=("applications",),
    rationale=(
        "A secret valid for years is a standing password that outlives the people and scripts that know it; an "
        "expired secret left on an app shows nobody owns its rotation, and is clutter that hides real ones."
    ),
    remediation=(
        "Entra admin center > Identity > Applications > App registrations > (app) > Certificates & secrets: "
        "replace long-lived secrets with a certificate or federated credential, or a secret of 180 days or less, "
        "and delete expired secrets."
    ),
    decision=(
        "Passes secrets with a lifetime of at most 180 days that have not expired; Maester fails any secret."
    ),
)

_MAX_LIFETIME = dt.timedelta(days=180)


def _parse(timestamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(timestamp)


def evaluate(data: Collected) -> Verdict:
    apps = data["applications"]
    findings: list[dict[str, str]] = []
    for app in apps:
        for secret in app["passwordCredentials"]:
            start, end = _parse(secret["startDateTime"]), _parse(secret["endDateTime"])
            if end < data.now:
                problem = "expired"
            elif end - start > _MAX_LIFETIME:
                problem = "lifetime_over_180_days"
            else:
                continue
            findings.append({"appId": app["appId"], "keyId": secret["keyId"], "problem": problem})
    evidence = {"applications_read": len(apps), "secrets": findings}
    if findings:
        return Verdict.failed(evidence, affected=sorted({f["appId"] for f in findings}))
    return Verdict.passed(evidence)
