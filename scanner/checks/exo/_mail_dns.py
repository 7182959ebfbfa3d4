"""Reading the public DNS lookups (``dns_spf``, ``dns_dkim``, ``dns_dmarc``) the mail checks share.

A lookup is ``{"name", "records", "error"}`` (``scanner._dns``). ``nxdomain`` and ``no_answer`` mean the
domain publishes nothing there, which is a finding; ``unreachable`` means we could not ask, which is
not: a check whose verdict hangs on an unreachable lookup says ``error: dns_unreachable``, never pass.

Comparisons are ScubaGear's: case-sensitive prefixes (``v=spf1 ``, ``v=DKIM1;``, ``v=DMARC1;``) with no
whitespace forgiven, so a record ScubaGear rejects is never accepted here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.checks._model import Verdict
from scanner.collections import accepted_domain_names

__all__ = ["DomainResults", "dmarc_policy", "judge_dmarc", "mail_domains", "unreachable"]

#: What looks like a DMARC record (any case, spaces allowed, as ScubaGear's provider matches with
#: PowerShell's case-insensitive ``-match``); the checks then require the literal ``v=DMARC1;`` prefix.
_DMARC = re.compile(r"^\s*v=DMARC1\s*;", re.IGNORECASE)


def mail_domains(accepted: list[dict[str, Any]], *, skip_coexistence: bool = False) -> list[str]:
    """The accepted domains, lower case and sorted; without the coexistence domain when asked (ScubaGear's
    DMARC rules skip it: Microsoft owns it and publishes its DNS)."""
    return accepted_domain_names([d for d in accepted
                                  if not (skip_coexistence and d.get("IsCoexistenceDomain") is True)])


def unreachable(lookup: Mapping[str, Any]) -> bool:
    return lookup["error"] == "unreachable"


def dmarc_policy(lookups: list[dict[str, Any]]) -> tuple[str | None, str | None, bool]:
    """``(record, name, unresolved)`` of the DMARC policy that applies to a domain (lookups: its own
    ``_dmarc`` name, then its organisational domain's).

    The strictest reading of RFC 7489 6.6.3 and both of ScubaGear's providers: any TXT record at the
    domain's own name decides there (exactly one DMARC record is the policy; none, or two, is no policy,
    never a fall back to the parent's); only a name without records falls back to the organisational
    domain (its last two labels), whose single DMARC record is the policy. ``unresolved``: a lookup that
    decides could not be made.
    """
    for lookup in lookups:
        if unreachable(lookup):
            return None, lookup["name"], True
        if lookup["records"]:
            found = [r for r in lookup["records"] if _DMARC.match(r)]
            return (found[0] if len(found) == 1 else None), lookup["name"], False
    return None, None, False


@dataclass
class DomainResults:
    """Per-domain outcome of a mail check: what fails (domain to problem), and what could not be read."""

    failing: dict[str, str] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    records: dict[str, Any] = field(default_factory=dict)

    def verdict(self, checked: int) -> Verdict:
        """Fail on any failing domain (a certain finding even if others could not be read), else error
        ``dns_unreachable`` while any domain is unread, else pass; no accepted domain at all fails."""
        evidence = {"domains_checked": checked, "failing": dict(sorted(self.failing.items())),
                    "unresolved": sorted(self.unresolved), "records": self.records}
        if not checked:
            return Verdict.failed(evidence, reason="no_accepted_domain")
        if self.failing:
            return Verdict.failed(evidence, affected=sorted(self.failing))
        if self.unresolved:
            return Verdict.error("dns_unreachable", evidence)
        return Verdict.passed(evidence)


def judge_dmarc(data: Mapping[str, Any], problem: Callable[[str, str, str], str | None]) -> Verdict:
    """The DMARC checks' shared verdict: each accepted domain but the coexistence one needs a policy
    (``no_dmarc_record`` otherwise), which ``problem(domain, record, name)`` then judges."""
    domains = mail_domains(data["exo_accepted_domains"], skip_coexistence=True)
    results = DomainResults()
    for domain in domains:
        record, name, unresolved = dmarc_policy(data["dns_dmarc"][domain])
        results.records[domain] = record
        if unresolved:
            results.unresolved.append(domain)
        elif record is None or name is None:
            results.failing[domain] = "no_dmarc_record"  # none, two, or only other TXT records
        elif found := problem(domain, record, name):
            results.failing[domain] = found
    return results.verdict(len(domains))
