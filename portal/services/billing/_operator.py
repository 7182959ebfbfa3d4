"""The platform operator's reach: every MSP, one at a time.

An operator is a user the platform's owner marked (``users.is_platform_operator``; no role can set
it). The operator acts on an MSP in a scope of that MSP with the operator as its user; the database
asks ``posture_scope_is_operator()`` itself on every money table (migration 0024), so a scope naming
an MSP does not make anyone an operator of it. The list of MSPs comes from a definer function that
answers operators only. Without an MSP, the scope names none (the nil id): nothing is in it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.audit import record_event
from portal.services.errors import Forbidden, InvalidInput, NotFound

__all__ = ["InvoiceReference", "MspListing", "OperatorNote", "invoice_references", "operator_msps", "operator_notes",
           "operator_scope", "set_invoice_reference", "set_operator_note", "suspend_customer", "suspend_msp"]

_NO_MSP = uuid.UUID(int=0)


@dataclass(frozen=True)
class MspListing:
    id: uuid.UUID
    name: str
    slug: str
    created_at: dt.datetime
    customers: int
    suspended_at: dt.datetime | None = None


def operator_msps(engine: Engine, user_id: uuid.UUID, email: str) -> list[MspListing]:
    """Every MSP, for an operator. Raises Forbidden for anyone else."""
    with unit_of_work(engine, Scope(_NO_MSP, actor=email, user_id=user_id)) as uow:
        if not uow.session.scalar(text("SELECT posture_scope_is_operator()")):
            raise Forbidden("this is the platform operator's page")
        rows = uow.session.execute(text("SELECT * FROM posture_operator_msps()"))
        return [MspListing(r.id, r.name, r.slug, r.created_at, int(r.customers), r.suspended_at) for r in rows]


def operator_scope(engine: Engine, user_id: uuid.UUID, email: str, msp_id: uuid.UUID) -> tuple[Scope, MspListing]:
    """The scope in which an operator acts on ``msp_id``, and that MSP.

    Raises:
        Forbidden: the user is not a platform operator.
        NotFound: there is no such MSP.
    """
    for msp in operator_msps(engine, user_id, email):
        if msp.id == msp_id:
            return Scope(msp_id, customer_ids=None, actor=email, user_id=user_id), msp
    raise NotFound(f"MSP {msp_id} not found")


def _operator_call(uow: UnitOfWork, statement: str, params: dict[str, object]) -> bool:
    try:
        with uow.session.begin_nested():
            return bool(uow.session.scalar(text(statement), params))
    except DBAPIError as exc:
        if "only the platform operator" in str(exc.orig):
            raise Forbidden("only the platform operator suspends and reactivates") from None
        raise


def suspend_msp(uow: UnitOfWork, *, suspended: bool) -> bool:
    """Suspend (or reactivate) the scope's MSP; False when it already was. The operator only; in the
    MSP's audit trail."""
    changed = _operator_call(uow, "SELECT posture_operator_suspend_msp(:s)", {"s": suspended})
    if changed:
        record_event(uow, customer_id=None, action=f"operator.msp_{'suspended' if suspended else 'reactivated'}",
                     target=f"msp:{uow.scope.msp_id}", details={})
    return changed


def suspend_customer(uow: UnitOfWork, customer_id: uuid.UUID, *, suspended: bool) -> bool:
    """Hold (or release) one customer of the scope's MSP; False when nothing changed. The operator only;
    in the MSP's audit trail."""
    changed = _operator_call(uow, "SELECT posture_operator_suspend_customer(:c, :s)", {"c": customer_id,
                                                                                      "s": suspended})
    if changed:
        record_event(uow, customer_id=None,
                     action=f"operator.customer_{'suspended' if suspended else 'reactivated'}",
                     target=f"customer:{customer_id}", details={})
    return changed


@dataclass(frozen=True)
class OperatorNote:
    note: str
    updated_by: str
    updated_at: dt.datetime


def operator_notes(uow: UnitOfWork) -> dict[uuid.UUID | None, OperatorNote]:
    """The operator's internal notes on the scope's MSP (key None) and its customers; empty for anyone else
    (the database shows the rows to the operator only)."""
    rows = uow.session.execute(text("SELECT about_customer, note, updated_by, updated_at FROM operator_notes"))
    return {r.about_customer: OperatorNote(r.note, r.updated_by, r.updated_at) for r in rows}


def set_operator_note(uow: UnitOfWork, about_customer: uuid.UUID | None, note: str) -> None:
    """Set the internal note on the MSP (``about_customer`` None) or one of its customers; blank removes it."""
    text_ = note.strip()
    if len(text_) > 4000:
        raise InvalidInput("an internal note is at most 4,000 characters")
    try:
        with uow.session.begin_nested():
            uow.session.execute(text("DELETE FROM operator_notes WHERE about_customer IS NOT DISTINCT FROM :c"),
                                {"c": about_customer})
            if text_:
                uow.session.execute(text("INSERT INTO operator_notes (msp_id, about_customer, note) "
                                         "VALUES (:m, :c, :n)"), {"m": uow.scope.msp_id, "c": about_customer,
                                                                  "n": text_})
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig):
            raise Forbidden("internal notes are the platform operator's") from None
        if "foreign key" in str(exc.orig):
            raise NotFound(f"customer {about_customer} not found") from None
        raise


@dataclass(frozen=True)
class InvoiceReference:
    reference: str
    note: str | None
    updated_by: str
    updated_at: dt.datetime


def invoice_references(uow: UnitOfWork) -> dict[uuid.UUID, InvoiceReference]:
    """The operator's references on the scope's MSP's closed invoices (none for anyone else)."""
    rows = uow.session.execute(text("SELECT invoice_id, reference, note, updated_by, updated_at "
                                    "FROM invoice_references"))
    return {r.invoice_id: InvoiceReference(r.reference, r.note, r.updated_by, r.updated_at) for r in rows}


def set_invoice_reference(uow: UnitOfWork, invoice_id: uuid.UUID, reference: str, note: str = "") -> None:
    """Set the operator's reference (and note) on a closed invoice; a blank reference removes it."""
    ref, remark = " ".join(reference.split()), note.strip()
    if len(ref) > 100 or len(remark) > 2000:
        raise InvalidInput("a reference is at most 100 characters, its note at most 2,000")
    try:
        with uow.session.begin_nested():
            uow.session.execute(text("DELETE FROM invoice_references WHERE invoice_id = :i"), {"i": invoice_id})
            if ref:
                uow.session.execute(text(
                    "INSERT INTO invoice_references (invoice_id, msp_id, reference, note) VALUES (:i, :m, :r, :n)"),
                    {"i": invoice_id, "m": uow.scope.msp_id, "r": ref, "n": remark or None})
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig):
            raise Forbidden("invoice references are the platform operator's") from None
        if "foreign key" in str(exc.orig):
            raise NotFound(f"invoice {invoice_id} not found") from None
        raise
