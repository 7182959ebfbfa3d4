"""Microsoft Authenticator shows the app name and the sign-in location in its notifications, and its
software OATH codes are off.

ScubaGear's MS.AAD.3.3v2 also requires ``isSoftwareOathEnabled`` to be false: a one-time code typed
from the app carries none of the context a push shows, so it defeats the point. A missing value is
an error (KeyError), never a pass.

Decision: when ``featureSettings`` is missing (the older shape, as in the documented example of
``GET /policies/authenticationMethodsPolicy``) the check fails with ``feature_settings_absent``
rather than erroring: the portal shows Microsoft-managed defaults then, which we cannot prove on.
"""

from scanner.checks._model import CheckMeta, Collected, Severity, Verdict
from scanner.checks.entra.authmethods._methods import method_configuration

META = CheckMeta(
    id="entra.authmethods.authenticator_context",
    title="Authenticator shows application name and location",
    area="Authentication methods",
    severity=Severity.MEDIUM,
    collections=("auth_methods_policy",),
    references=("MS.AAD.3.3v2", "CIS M365 v7.0 5.2.3.1", "EIDSCA.AM06", "EIDSCA.AM07", "EIDSCA.AM09", "EIDSCA.AM10"),
    rationale=(
        "Showing which app asks for approval and where the request comes from lets users spot a push they did not "
        "start, the usual sign of MFA fatigue attacks and adversary-in-the-middle phishing."
    ),
    remediation=(
        "Entra admin center > Entra ID > Authentication methods > Policies > Microsoft Authenticator > Configure: "
        "set 'Show application name in push and passwordless notifications' and 'Show geographic location in push "
        "and passwordless notifications' to Enabled, targeting All users; set 'Allow use of Microsoft Authenticator "
        "OTP' to No."
    ),
    decision=(
        "A missing featureSettings object fails (feature_settings_absent): the settings cannot be confirmed. "
        "Software OATH codes in Authenticator fail (software_oath_enabled), as in ScubaGear. Stricter than "
        "ScubaGear, which calls this not applicable once a phishing-resistant MFA policy exists: the settings "
        "still apply to every push that policy does not cover."
    ),
    versus_scuba=(
        "stricter: still judged when a phishing-resistant MFA policy exists (ScubaGear calls it not "
        "applicable then)"
    ),
)

_FEATURES = ("displayAppInformationRequiredState", "displayLocationInformationRequiredState")


def evaluate(data: Collected) -> Verdict:
    authenticator = method_configuration(data["auth_methods_policy"], "MicrosoftAuthenticator")
    if authenticator["state"] != "enabled":
        return Verdict.not_applicable("authenticator_disabled", {"state": authenticator["state"]})
    if "featureSettings" not in authenticator:
        return Verdict.failed({"state": authenticator["state"]}, reason="feature_settings_absent")
    settings = authenticator["featureSettings"]
    evidence: dict[str, object] = {
        name: {"state": settings[name]["state"], "includeTarget": settings[name]["includeTarget"]["id"]}
        for name in _FEATURES
    }
    weak = [n for n in _FEATURES
            if settings[n]["state"] != "enabled" or settings[n]["includeTarget"]["id"] != "all_users"]
    oath = authenticator["isSoftwareOathEnabled"]
    evidence["isSoftwareOathEnabled"] = oath
    if oath is not False:
        weak.append("isSoftwareOathEnabled")
    if weak:
        return Verdict.failed(evidence, affected=weak,
                              reason="software_oath_enabled" if weak == ["isSoftwareOathEnabled"] else None)
    return Verdict.passed(evidence)
