"""``hybrid``: the typical tenant, synchronised from on-premises Active Directory by Entra Connect.

The organization reports ``onPremisesSyncEnabled``, so the hybrid-only checks apply: the last sync
was 30 minutes before the build (``entra.hybrid.sync_recent`` passes for three days after it: rebuild
a long-lived tenant), password protection runs on-premises in audit mode only, and the IT manager's
Global Administrator account is synchronised. ``/directory/onPremisesSynchronization`` carries
password hash sync on and takeover protection off, though no check reads it (Graph does not serve it
to applications). Everything else is as in ``typical``; the custom domain is federated (so the
password-expiry check skips it).
"""

from __future__ import annotations

from dataclasses import replace

from sim.profiles import typical
from sim.profiles._catalogue import DIRECTORY_SYNC_ACCOUNTS, HYBRID
from sim.profiles._spec import NONE, DirSync, Person, RoleGrant, Spec

__all__ = ["SPEC"]


def _people() -> tuple[Person, ...]:
    people = []
    for p in typical.PEOPLE:
        if p.key == "megan.bowen":
            p = replace(p, synced=True)  # entra.roles.admins_cloud_only: a synchronised Global Administrator
        people.append(p)
    # Entra Connect's own account: not a privileged role, signs in every half hour.
    people.append(Person("sync_dc01_4f2a9c1e", "On-Premises Directory Synchronization", "Service Account",
                         "Service", display_name="On-Premises Directory Synchronization Service Account",
                         methods=NONE, roles=(RoleGrant(DIRECTORY_SYNC_ACCOUNTS),), last_sign_in_days=0.02))
    return tuple(people)


SPEC: Spec = replace(
    typical.SPEC,
    name="hybrid",
    description="Typical Business Premium tenant synchronised from on-premises AD: hybrid checks apply.",
    default_users=120,
    people=_people(),
    filler=replace(typical.SPEC.filler, synced=True),
    directory=replace(
        typical.SPEC.directory,
        hybrid=DirSync(password_hash_sync=True, block_soft_match=False, block_hard_match_takeover=False),
        custom_domain_federated=True,
        password_validity_days=(2147483647, 90),  # 90 days on the federated domain: not judged
    ),
    gates=typical.SPEC.gates | {HYBRID},  # typical's licences, and a directory synchronised from on-premises
    reasons={**typical.SPEC.reasons, "entra.passwords.onprem_protection": "audit_mode"},
    fails=typical.SPEC.fails | {
        "entra.roles.admins_cloud_only",
        "entra.passwords.onprem_protection",  # typical's Password Rule Settings: on-premises mode Audit
    },
)
