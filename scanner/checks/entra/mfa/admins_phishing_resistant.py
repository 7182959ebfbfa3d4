"""Every administrator has registered a phishing-resistant method (FIDO2, passkey or Windows Hello).

``isAdmin`` in the registration report covers every admin role, not only the highly privileged ones,
which is the scope we want: any admin account is a target worth phishing.
"""

from scanner.checks._model import CheckMeta, Collected, Gate, Severity, Verdict

META = CheckMeta(
    id="entra.mfa.admins_phishing_resistant",
    title="Administrators have a phishing-resistant method registered",
    area="MFA registration",
    severity=Severity.CRITICAL,
    collections=("registration_details",),
    gates=(Gate.ENTRA_P1,),
    rationale=(
        "Push, code and SMS approvals can be relayed by an adversary-in-the-middle phishing page; a passkey, FIDO2 "
        "key or Windows Hello is bound to the real sign-in site and cannot. Requiring phishing-resistant MFA for "
        "admins only works once every admin has such a method."
    ),
    remediation=(
        "Entra admin center > Entra ID > Authentication methods > User registration details: filter 'Admin' = Yes. "
        "Issue each admin a FIDO2 key or passkey (enable Passkey (FIDO2) in Policies, then have the admin add it at "
        "https://mysignins.microsoft.com/security-info), then require the Phishing-resistant MFA strength for admins."
    ),
    decision=(
        "Accepted methodsRegistered values: fido2, windowsHelloForBusiness, passKeyDeviceBound, "
        "passKeyDeviceBoundAuthenticator, passKeyDeviceBoundWindowsHello. A tenant with no admin rows passes. "
        "No public baseline has this exact rule (CIPP's registration review is closest), so no reference is cited."
    ),
)

_PHISHING_RESISTANT = frozenset(
    {
        "fido2",
        "windowsHelloForBusiness",
        "passKeyDeviceBound",
        "passKeyDeviceBoundAuthenticator",
        "passKeyDeviceBoundWindowsHello",
    }
)


def evaluate(data: Collected) -> Verdict:
    admins = [r for r in data["registration_details"] if r["isAdmin"] is True]
    if not admins:
        return Verdict.passed({"admins": 0}, reason="no_admins")
    weak = [a["userPrincipalName"] for a in admins if not _PHISHING_RESISTANT.intersection(a["methodsRegistered"])]
    evidence = {"admins": len(admins), "without_phishing_resistant_method": len(weak)}
    if weak:
        return Verdict.failed(evidence, affected=weak)
    return Verdict.passed(evidence)
