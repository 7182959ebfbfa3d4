"""The bill split as PSA and accounting tools import it: rows for CSV (ConnectWise, Autotask and HaloPSA
import invoice lines from CSV) and one JSON document (CONTRACT.md, ``GET /api/v1/billing/invoice``).

Amounts are decimal strings in JSON (never floats); the period's ``end`` is its last day, inclusive,
as invoices print it. Operator-only fields have no place here: nothing in these rows comes from them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from portal.services.billing._invoices import SplitLine
from portal.services.billing._money import Invoice, rate_text

__all__ = ["SPLIT_HEADER", "invoice_document", "split_rows"]

SPLIT_HEADER = ["period_start", "period_end", "customer_id", "customer_name", "service_tier", "days_billed",
                "user_days", "average_users", "band_rate", "usage_amount", "addon_amount", "amount", "currency",
                "client_amount", "margin"]


def _last_day(invoice: Invoice) -> dt.date:
    return invoice.period.end - dt.timedelta(days=1)


def split_rows(invoice: Invoice, split: list[SplitLine], *, with_margin: bool = True) -> list[list[object]]:
    """One row per customer, in the invoice's order; the amounts add up to the invoice's total."""
    rows: list[list[object]] = []
    rate = Decimal(rate_text(invoice.band_rate))
    for s in split:
        line = s.line
        average = (Decimal(line.user_days) / Decimal(invoice.period.days)).quantize(Decimal("0.01"))
        rows.append([invoice.period.start.isoformat(), _last_day(invoice).isoformat(), str(line.customer_id),
                     line.name, line.service_tier, line.days, line.user_days, average, rate,
                     line.usage_amount, line.addon_amount, line.amount, invoice.currency,
                     s.client_amount if with_margin else None, s.margin if with_margin else None])
    return rows


def invoice_document(invoice: Invoice, split: list[SplitLine], *, status: str,
                     invoice_id: str | None = None) -> dict[str, Any]:
    """The invoice as JSON: the contract's fields, and the band, add-ons and margins beside them."""
    return {
        "id": invoice_id, "status": status,
        "period": {"start": invoice.period.start.isoformat(), "end": _last_day(invoice).isoformat(),
                   "days": invoice.period.days, "days_counted": invoice.days_counted},
        "currency": invoice.currency, "total": str(invoice.total), "usage_total": str(invoice.usage_total),
        "addons_total": str(invoice.addons_total), "user_days": invoice.user_days,
        "average_users": str((Decimal(invoice.average_users.numerator) / Decimal(invoice.average_users.denominator))
                             .quantize(Decimal("0.01"))),
        "band_rate": rate_text(invoice.band_rate),
        "addons": [{"key": a.key, "label": a.label, "amount": str(amount), "split": a.split}
                   for a, amount in invoice.addons],
        "lines": [{"customer": {"id": str(s.line.customer_id), "name": s.line.name},
                   "service_tier": s.line.service_tier, "days": s.line.days, "user_days": s.line.user_days,
                   "usage_amount": str(s.line.usage_amount), "addon_amount": str(s.line.addon_amount),
                   "amount": str(s.line.amount),
                   "client_amount": None if s.client_amount is None else str(s.client_amount),
                   "margin": None if s.margin is None else str(s.margin)} for s in split],
    }
