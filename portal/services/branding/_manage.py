"""Branding as stored: the MSP-wide default, a customer's override, and the brand an output is made with.

Who may write is the database's decision as much as ours (migration 0022): the MSP-wide row is MSP
admins', a customer's row MSP admins' and Manage-tier analysts'. A write the policies refuse raises
``Forbidden`` here rather than updating nothing in silence.

Decisions:
- An output of a customer uses the customer's branding only while its switch ("use the customer's
  branding") is on; otherwise the MSP's default, and without one the MSP's name on the defaults.
- The attribution line is always the MSP's ("Prepared by <MSP>"), even on a customer-branded output:
  the customer's board should know who did the work.
- The contact line of a customer-branded output falls back to the MSP's when the customer's is empty.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from portal.db.models import Branding, Customer, Msp
from portal.db.uow import UnitOfWork
from portal.services.branding._brand import DEFAULT_BRAND, Brand, make_brand
from portal.services.branding._logo import Logo, accept_logo
from portal.services.errors import Forbidden, NotFound

__all__ = ["BrandingForm", "BrandingView", "brand_for", "branding_of", "save_branding"]

_REFUSED = "your role, or the MSP's tier for this customer, does not allow changing this branding"


@dataclass(frozen=True)
class BrandingForm:
    """What the branding form sends. ``logo``: a new upload's bytes (None: keep the current one)."""

    display_name: str
    primary: str
    accent: str
    contact: str = ""
    use_own: bool = False
    logo: bytes | None = None
    remove_logo: bool = False


@dataclass(frozen=True)
class BrandingView:
    """A branding row as the form shows it; ``stored`` is False for the defaults of a row not yet saved."""

    brand: Brand
    use_own: bool
    stored: bool
    updated_by: str | None = None


def _logo(row: Branding) -> Logo | None:
    return Logo(row.logo_type, row.logo) if row.logo is not None and row.logo_type else None


def _row(uow: UnitOfWork, msp_id: uuid.UUID, customer_id: uuid.UUID | None) -> Branding | None:
    query = select(Branding).where(Branding.msp_id == msp_id)
    query = query.where(Branding.customer_id.is_(None) if customer_id is None else Branding.customer_id == customer_id)
    return uow.session.scalars(query).one_or_none()


def _msp_name(uow: UnitOfWork, msp_id: uuid.UUID) -> str:
    return uow.session.scalar(select(Msp.name).where(Msp.id == msp_id)) or DEFAULT_BRAND.display_name


def _brand(row: Branding, attribution: str) -> Brand:
    return Brand(display_name=row.display_name, primary=row.primary_colour, accent=row.accent_colour,
                 contact=row.contact_line, logo=_logo(row), attribution=attribution)


def branding_of(uow: UnitOfWork, msp_id: uuid.UUID, customer_id: uuid.UUID | None = None) -> BrandingView:
    """The MSP's default branding, or a customer's override (its defaults when none is stored).

    Raises:
        NotFound: ``customer_id`` is not a customer in scope.
    """
    customer = uow.session.get(Customer, customer_id) if customer_id is not None else None
    if customer_id is not None and customer is None:
        raise NotFound(f"customer {customer_id} not found")
    msp_name = _msp_name(uow, msp_id)
    row = _row(uow, msp_id, customer_id)
    if row is not None:
        return BrandingView(_brand(row, f"Prepared by {msp_name}"), row.use_own, True, row.updated_by)
    if customer_id is None:
        return BrandingView(Brand(display_name=msp_name, attribution=f"Prepared by {msp_name}"), False, False)
    name = customer.name if customer is not None else ""
    return BrandingView(Brand(display_name=name[:100] or msp_name, attribution=f"Prepared by {msp_name}"), False,
                        False)


def brand_for(uow: UnitOfWork, msp_id: uuid.UUID, customer_id: uuid.UUID | None) -> Brand:
    """The brand an output of ``customer_id`` (None: an MSP-wide output) is made with."""
    default = branding_of(uow, msp_id).brand
    if customer_id is None:
        return default
    own = _row(uow, msp_id, customer_id)
    if own is None or not own.use_own:
        return default
    brand = _brand(own, default.attribution)
    return brand if brand.contact else dataclasses.replace(brand, contact=default.contact)


def save_branding(uow: UnitOfWork, msp_id: uuid.UUID, form: BrandingForm,
                  customer_id: uuid.UUID | None = None) -> None:
    """Validate and store the MSP's default (``customer_id`` None) or a customer's override.

    Raises:
        InvalidInput: a bad name, contact line, colour or logo (the message says which).
        NotFound: no such customer in scope.
        Forbidden: the caller may not brand this (the database refused the write).
    """
    if customer_id is not None and uow.session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} not found")
    logo = accept_logo(form.logo) if form.logo else None
    brand = make_brand(form.display_name, primary=form.primary, accent=form.accent, contact=form.contact)
    row = _row(uow, msp_id, customer_id)
    values = {"display_name": brand.display_name, "primary_colour": brand.primary, "accent_colour": brand.accent,
              "contact_line": brand.contact, "use_own": bool(form.use_own) and customer_id is not None}
    if logo is not None:
        values |= {"logo": logo.data, "logo_type": logo.media_type}
    elif form.remove_logo:
        values |= {"logo": None, "logo_type": None}
    try:
        with uow.session.begin_nested():
            if row is None:
                uow.session.add(Branding(msp_id=msp_id, customer_id=customer_id, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
                row.updated_by = func.coalesce(func.nullif(func.current_setting("app.actor", True), ""), "unknown")
                row.updated_at = func.now()
            uow.session.flush()
    except StaleDataError:
        # The policy hid the row from the UPDATE (it matched nothing): the caller may read it, not write it.
        raise Forbidden(_REFUSED) from None
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig):  # the policies said no (a missing grant is our bug: raise)
            raise Forbidden(_REFUSED) from None
        raise
