"""Recording a customer's break-glass accounts: the exclusions Conditional Access checks accept.

Conditional Access checks accept no exclusion the MSP has not recorded (issue 9): a tenant's
emergency-access accounts are excluded from every policy on purpose, and only people who connect the
tenant know which ones they are. So the same people record them as make consent links: MSP admins,
and staff at the Manage tier. Customer people may not: a tenant's own admin could otherwise make any
exclusion pass. The scans that follow read them (``portal.services.scans``).
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy import text as sql

from portal.db.models import Customer
from portal.db.uow import UnitOfWork
from portal.services.accounts import MembershipView
from portal.services.audit import record_event
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.onboarding._consent import may_make_consent_link

__all__ = ["MAX_BREAK_GLASS", "parse_object_ids", "record_break_glass"]

#: More than this many emergency accounts is no longer an emergency arrangement.
MAX_BREAK_GLASS = 10
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def parse_object_ids(text: str) -> tuple[str, ...]:
    """Entra object ids, separated by commas, spaces or new lines; lower-cased, unique, sorted.

    Raises:
        InvalidInput: something that is not an object id, or more than ``MAX_BREAK_GLASS`` of them.
    """
    ids = {part.lower() for part in re.split(r"[\s,;]+", text) if part}
    bad = sorted(i for i in ids if not _GUID.match(i))
    if bad:
        raise InvalidInput(f"not an Entra object id: {bad[0][:60]} "
                           "(an id looks like 5d6a3f1e-2b4c-4e8f-9a7d-0c1b2e3f4a5b)")
    if len(ids) > MAX_BREAK_GLASS:
        raise InvalidInput(f"record at most {MAX_BREAK_GLASS} break-glass accounts or groups")
    return tuple(sorted(ids))


def record_break_glass(uow: UnitOfWork, caller: MembershipView, customer_id: uuid.UUID, text: str) -> tuple[str, ...]:
    """Replace the customer's recorded break-glass ids with those in ``text`` (empty clears them).

    Raises:
        NotFound: no such customer in the caller's scope.
        Forbidden: the caller may not configure this customer's connection.
        InvalidInput: ``text`` is not a list of object ids.
    """
    customer = uow.session.scalar(select(Customer).where(Customer.id == customer_id))
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    if not may_make_consent_link(caller, customer):
        raise Forbidden("only MSP admins, and staff at the Manage tier, record a tenant's break-glass accounts")
    ids = parse_object_ids(text)
    before = sorted(customer.break_glass_ids or ())
    if before == list(ids):
        return ids  # the same list again: nothing to record
    # The database checks the caller's role again (migration 0014): the web role cannot write the column.
    uow.session.execute(sql("SELECT posture_record_break_glass(:c, :ids)"), {"c": customer_id, "ids": list(ids)})
    record_event(uow, customer_id=customer_id, action="customer.break_glass_recorded", target=f"customer:{customer_id}",
                 details={"before": before, "after": list(ids)})
    return ids
