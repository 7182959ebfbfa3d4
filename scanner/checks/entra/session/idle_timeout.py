"""Microsoft 365 web apps sign out an idle session after three hours or less.

The "Idle session timeout" setting in the Microsoft 365 admin center is stored as an activity-based timeout
policy whose ``definition`` is a JSON string; its ``ApplicationPolicies`` entry with ``ApplicationId`` "default"
covers every supporting web app. Decision: only that "default" entry counts (a stricter plan rule than "any
entry"), because a timeout for one named application leaves all the others open. Durations are written
``hh:mm:ss`` or ``d.hh:mm:ss``.
"""

import datetime as dt
import json
from typing import Any

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict

META = CheckMeta(
    id="entra.session.idle_timeout",
    title="Idle web sessions time out within 3 hours",
    area="Sessions",
    severity=Severity.LOW,
    collections=("activity_timeout_policies",),
    references=("CIS M365 v7.0 1.3.2",),
    rationale=(
        "A browser left signed in on a shared or unmanaged computer gives the next person the user's mail and "
        "files; an idle timeout closes that window."
    ),
    remediation=(
        "Microsoft 365 admin center > Settings > Org settings > Security & privacy > Idle session timeout: turn it "
        "on and choose 3 hours or less. CIS also suggests a Conditional Access session control so that managed "
        "devices are spared."
    ),
    decision="Only the ApplicationId 'default' entry counts; a timeout for one named app does not cover the others.",
)

_MAX_IDLE = dt.timedelta(hours=3)


def _duration(text: str) -> dt.timedelta:
    days, clock = 0, text
    if "." in text.split(":", 1)[0]:
        day_text, clock = text.split(".", 1)
        days = int(day_text)
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _default_timeouts(policy: dict[str, Any]) -> list[str]:
    timeouts = []
    for definition in policy["definition"]:
        parsed = json.loads(definition)["ActivityBasedTimeoutPolicy"]
        for app_policy in parsed["ApplicationPolicies"]:
            if app_policy["ApplicationId"].lower() == "default":
                timeouts.append(app_policy["WebSessionIdleTimeout"])
    return timeouts


def evaluate(data: Collected) -> Verdict:
    policies = data["activity_timeout_policies"]
    timeouts = {p["id"]: _default_timeouts(p) for p in policies}
    evidence = {"policies_read": len(policies), "default_web_session_idle_timeouts": timeouts}
    if not any(timeouts.values()):
        return Verdict.failed(evidence, reason="no_default_timeout")
    if any(_duration(t) <= _MAX_IDLE for values in timeouts.values() for t in values):
        return Verdict.passed(evidence)
    return Verdict.failed(evidence, reason="timeout_too_long", affected=[pid for pid, t in timeouts.items() if t])
