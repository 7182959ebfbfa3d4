"""A customer's summary settings: cadence, who receives it, and the addresses that unsubscribed."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError

from portal.db.models import Customer, SummarySetting, SummaryUnsubscribe
from portal.db.uow import UnitOfWork
from portal.services.alerts import parse_recipients
from portal.services.audit import record_event
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.summaries._cadence import CADENCES, Cadence, next_due

__all__ = ["Recipient", "SummaryConfig", "recipients_of", "save_summary_config", "summary_config"]


@dataclass(frozen=True)
class SummaryConfig:
    cadence: Cadence = "off"
    include_customer_users: bool = True
    extra_recipients: tuple[str, ...] = ()
    next_due_at: dt.datetime | None = None
    updated_by: str | None = None
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class Recipient:
    address: str
    source: str  # "user": one of the customer's own users; "extra": an address added to the summary
    unsubscribed: bool


def summary_config(uow: UnitOfWork, customer_id: uuid.UUID) -> SummaryConfig:
    """The customer's settings (off, to its users, when it has none yet)."""
    row = uow.session.get(SummarySetting, customer_id)
    if row is None:
        return SummaryConfig()
    return SummaryConfig(row.cadence, row.include_customer_users, tuple(row.extra_recipients),  # type: ignore[arg-type]
                         row.next_due_at, row.updated_by, row.updated_at)


def save_summary_config(uow: UnitOfWork, customer_id: uuid.UUID, *, cadence: str, include_customer_users: bool,
                        extra_recipients: str, now: dt.datetime) -> SummaryConfig:
    """Set the customer's summary; the next one is due at the cadence's next send time from ``now``.

    Raises:
        NotFound: no such customer in scope.
        InvalidInput: an unknown cadence, or an extra recipient that is not an address (or too many).
        Forbidden: the caller may not make this customer's reports (the database refused).
    """
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    if cadence not in CADENCES:
        raise InvalidInput(f"the cadence is one of {', '.join(CADENCES)}")
    extras = parse_recipients(extra_recipients) if extra_recipients.strip() else []
    current = summary_config(uow, customer_id)
    # Changing the cadence starts it afresh; saving the same cadence keeps the date already promised.
    due = current.next_due_at if cadence == current.cadence and current.next_due_at else next_due(cadence, now)  # type: ignore[arg-type]
    values = {"cadence": cadence, "include_customer_users": include_customer_users, "extra_recipients": extras,
              "next_due_at": due}
    statement = insert(SummarySetting).values(customer_id=customer_id, msp_id=customer.msp_id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[SummarySetting.customer_id],
        set_={**values, "updated_by": uow.scope.actor, "updated_at": now})
    try:
        with uow.session.begin_nested():
            uow.session.execute(statement)
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig):
            raise Forbidden("your role, or the MSP's tier for this customer, does not allow setting its summary") \
                from None
        raise
    uow.session.expire_all()
    record_event(uow, customer_id=customer_id, action="summary.configured", target=f"customer:{customer_id}",
                 details={"cadence": cadence, "customer_users": include_customer_users, "extra": len(extras)})
    return summary_config(uow, customer_id)


def recipients_of(uow: UnitOfWork, customer_id: uuid.UUID, config: SummaryConfig) -> list[Recipient]:
    """Who receives the customer's summary, marked where they unsubscribed (they receive nothing)."""
    users = (list(uow.session.scalars(text("SELECT posture_summary_recipients(:c)"), {"c": customer_id}))
             if config.include_customer_users else [])
    stopped = set(uow.session.scalars(select(SummaryUnsubscribe.address)
                                      .where(SummaryUnsubscribe.customer_id == customer_id)))
    out: list[Recipient] = []
    for address, source in [*((u, "user") for u in sorted(users)), *((e, "extra") for e in config.extra_recipients)]:
        if all(r.address != address for r in out):
            out.append(Recipient(address, source, address in stopped))
    return out
