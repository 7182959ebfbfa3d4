"""Baselines: an MSP's standard (which checks count, how much, the tenant settings its checks read),
assigned to customers by tag or service tier.

- ``_rules``: pure: which baseline a customer is on (:func:`choose`), what a baseline means for scoring
  and scanning (:class:`BaselineRules`), and reading its form (:func:`parse_overrides`,
  :func:`parse_settings`, with bounds that only tighten verdicts).
- ``_manage``: MSP admins save and remove baselines; :func:`customer_rules` for the worker's rescore
  and scans; :func:`alignment` for the alignment page.

The score a customer shows is read against its baseline by the worker's rescore
(``portal.services.risks.rescore``), which writes ``latest_results.scored_severity`` and the
customer's ``baseline_name`` so that every page reads the same figures.
"""

from portal.services.baselines._manage import (
    Alignment,
    BaselineForm,
    alignment,
    baselines,
    customer_rules,
    delete_baseline,
    rules_for,
    save_baseline,
)
from portal.services.baselines._rules import (
    SETTINGS,
    BaselineRules,
    Setting,
    choose,
    parse_overrides,
    parse_settings,
    rules_of,
)

__all__ = ["SETTINGS", "Alignment", "BaselineForm", "BaselineRules", "Setting", "alignment", "baselines", "choose",
           "customer_rules", "delete_baseline", "parse_overrides", "parse_settings", "rules_for", "rules_of",
           "save_baseline"]
