"""Billing: what each customer uses, what the MSP owes the platform, and how that bill splits.

- ``_money``: pure arithmetic: volume bands, proration by day, rounding, the largest-remainder split.
- ``_usage``: managed users read from the scans, today's and each day's of a period.
- ``_seats``: seat limits, service tiers, licence types, removal; the change log the database keeps.
- ``_rate_card``: the operator's price for one MSP (bands, add-ons).
- ``_invoices``: the running invoice, closing a period for good, the closed ones, the margin per customer.
- ``_operator``: the platform operator's scope on one MSP, and the list of MSPs.
- ``_export``: the split as CSV rows and as the JSON document of the API.

Who sees what is the database's rule (migration 0024) before it is the pages': money (rate cards,
invoices, client prices) to the MSP's admins and the platform operator; seats to all MSP staff;
neither to a customer's own users.
"""

from portal.services.billing._export import SPLIT_HEADER, invoice_document, split_rows
from portal.services.billing._invoices import (
    BILLING_ACTOR,
    CLOSING_GRACE,
    ClosedInvoice,
    SplitLine,
    client_prices,
    close_due_invoices,
    close_period,
    closed_invoice,
    closed_invoices,
    running_invoice,
    set_client_prices,
    split_of,
)
from portal.services.billing._money import (
    CENT,
    DEFAULT_BANDS,
    AddOn,
    Band,
    CustomerUsage,
    Invoice,
    Line,
    Period,
    RateCard,
    allocate,
    billable_days,
    price,
    rate_text,
    round_cents,
)
from portal.services.billing._operator import (
    InvoiceReference,
    MspListing,
    OperatorNote,
    invoice_references,
    operator_msps,
    operator_notes,
    operator_scope,
    set_invoice_reference,
    set_operator_note,
    suspend_customer,
    suspend_msp,
)
from portal.services.billing._rate_card import ADDONS, RateCardForm, card_as_json, rate_card, save_rate_card
from portal.services.billing._seats import (
    LICENCE_TYPES,
    SEAT_SORTS,
    TIERS,
    BillingChangeView,
    SeatRow,
    SeatsView,
    TierNames,
    billing_changes,
    remove_customer,
    seats_view,
    set_terms,
    set_tier_names,
    tier_names,
)
from portal.services.billing._usage import daily_usage, latest_managed_users

__all__ = [
    "ADDONS",
    "BILLING_ACTOR",
    "CENT",
    "CLOSING_GRACE",
    "DEFAULT_BANDS",
    "LICENCE_TYPES",
    "SEAT_SORTS",
    "SPLIT_HEADER",
    "TIERS",
    "AddOn",
    "Band",
    "BillingChangeView",
    "ClosedInvoice",
    "CustomerUsage",
    "Invoice",
    "InvoiceReference",
    "Line",
    "MspListing",
    "OperatorNote",
    "Period",
    "RateCard",
    "RateCardForm",
    "SeatRow",
    "SeatsView",
    "SplitLine",
    "TierNames",
    "allocate",
    "billable_days",
    "billing_changes",
    "card_as_json",
    "client_prices",
    "close_due_invoices",
    "close_period",
    "closed_invoice",
    "closed_invoices",
    "daily_usage",
    "invoice_document",
    "invoice_references",
    "latest_managed_users",
    "operator_msps",
    "operator_notes",
    "operator_scope",
    "price",
    "rate_card",
    "rate_text",
    "remove_customer",
    "round_cents",
    "running_invoice",
    "save_rate_card",
    "seats_view",
    "set_client_prices",
    "set_invoice_reference",
    "set_operator_note",
    "set_terms",
    "set_tier_names",
    "split_of",
    "split_rows",
    "suspend_customer",
    "suspend_msp",
    "tier_names",
]
