"""Branding pages: the MSP's default (``/branding``, MSP admins) and a customer's own branding
(``/customers/{id}/branding``: MSP admins, and analysts at the Manage tier), each with a live preview.

The logo comes as a multipart upload, bounded before it is read (``MAX_UPLOAD``: a 50 MB post is
refused with 413 by the server, unread) and rewritten by ``portal.services.branding`` before it is
stored. The preview renders from what is typed, with the stored logo; nothing is saved by it.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from portal.services.accounts import Action, may
from portal.services.branding import (
    AA_NORMAL,
    MAX_LOGO_BYTES,
    Brand,
    BrandingForm,
    branding_of,
    contrast,
    make_brand,
    save_branding,
)
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.web.callers import PAGE_CALLER, Caller, caller_unit_of_work, require_msp_staff
from portal.web.customers.pages import customer_header
from portal.web.runtime import WebRuntime

__all__ = ["MAX_UPLOAD", "BrandingController"]

#: The logo's limit and room for the form's other fields.
MAX_UPLOAD = MAX_LOGO_BYTES + 64 * 1024
_MULTIPART = Body(media_type=RequestEncodingType.MULTI_PART)
_STAFF_ONLY = "branding is your service provider's"


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else ""


async def _form(data: dict[str, Any]) -> BrandingForm:
    upload = data.get("logo")
    logo = None
    if isinstance(upload, UploadFile) and upload.filename:
        logo = await upload.read(MAX_LOGO_BYTES + 1)
    return BrandingForm(display_name=_text(data, "display_name"), primary=_text(data, "primary"),
                        accent=_text(data, "accent"), contact=_text(data, "contact"),
                        use_own=_text(data, "use_own") == "on", logo=logo or None,
                        remove_logo=_text(data, "remove_logo") == "on")


def _checks(brand: Brand) -> list[tuple[str, float]]:
    """The contrast of each pairing the outputs use, for the preview to show."""
    return [("Text on the brand colour", contrast(brand.on_primary, brand.primary)),
            ("Text on the accent colour", contrast(brand.on_accent, brand.accent)),
            ("Headings on white", contrast(brand.ink, "#ffffff"))]


class BrandingController(Controller):
    include_in_schema = False
    dependencies = PAGE_CALLER

    def _customer(self, request: Request, web: WebRuntime, caller: Caller, customer_id: uuid.UUID) -> Any:
        require_msp_staff(caller, _STAFF_ONLY)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                return customer_header(uow, customer_id)
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None

    def _page(self, request: Request, web: WebRuntime, caller: Caller, customer: Any, *, may_edit: bool,
              status_code: int = 200, error: str | None = None, typed: BrandingForm | None = None) -> Template:
        customer_id = customer.customer_id if customer else None
        with caller_unit_of_work(web, caller, request) as uow:
            view = branding_of(uow, caller.membership.msp_id, customer_id)
        brand = view.brand
        if typed is not None:
            with contextlib.suppress(InvalidInput):
                brand = make_brand(typed.display_name, primary=typed.primary, accent=typed.accent,
                                   contact=typed.contact, logo=brand.logo, attribution=brand.attribution)
        return Template("branding/page.html", status_code=status_code, context={
            "user": caller, "customer": customer, "view": view, "brand": brand, "may_edit": may_edit,
            "typed": typed, "error": error, "checks": _checks(brand), "aa": AA_NORMAL,
            "saved": request.query_params.get("saved") == "1", "max_kb": MAX_LOGO_BYTES // 1024,
            "action": f"/customers/{customer_id}/branding" if customer_id else "/branding"})

    def _save(self, request: Request, web: WebRuntime, caller: Caller, form: BrandingForm, customer: Any,
              back: str) -> Redirect | Template:
        customer_id = customer.customer_id if customer else None
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                save_branding(uow, caller.membership.msp_id, form, customer_id)
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            return self._page(request, web, caller, customer, may_edit=True, status_code=HTTP_400_BAD_REQUEST,
                              error=str(exc), typed=form)
        return Redirect(f"{back}?saved=1", status_code=303)

    @get("/branding", sync_to_thread=True)
    def default_page(self, request: Request, web: NamedDependency[WebRuntime],
                     caller: NamedDependency[Caller]) -> Template:
        require_msp_staff(caller, _STAFF_ONLY)
        return self._page(request, web, caller, None, may_edit=may(caller.membership, Action.MANAGE_CUSTOMERS))

    @post("/branding", request_max_body_size=MAX_UPLOAD)
    async def save_default(self, request: Request, data: Annotated[dict[str, Any], _MULTIPART],
                           web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Redirect | Template:
        require_msp_staff(caller, _STAFF_ONLY)
        if not may(caller.membership, Action.MANAGE_CUSTOMERS):
            raise PermissionDeniedException("only MSP admins change the MSP's branding")
        form = await _form(data)
        return await sync_to_thread(self._save, request, web, caller, form, None, "/branding")

    @get("/customers/{customer_id:uuid}/branding", sync_to_thread=True)
    def customer_page(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                      caller: NamedDependency[Caller]) -> Template:
        customer = self._customer(request, web, caller, customer_id)
        return self._page(request, web, caller, customer,
                          may_edit=may(caller.membership, Action.MANAGE_BRANDING, customer.access))

    @post("/customers/{customer_id:uuid}/branding", request_max_body_size=MAX_UPLOAD)
    async def save_customer(self, request: Request, customer_id: FromPath[uuid.UUID],
                            data: Annotated[dict[str, Any], _MULTIPART], web: NamedDependency[WebRuntime],
                            caller: NamedDependency[Caller]) -> Redirect | Template:
        customer = await sync_to_thread(self._customer, request, web, caller, customer_id)
        if not may(caller.membership, Action.MANAGE_BRANDING, customer.access):
            raise PermissionDeniedException("your role, or the MSP's access tier for this customer, does not allow "
                                            "changing its branding")
        form = await _form(data)
        back = f"/customers/{customer_id}/branding"
        return await sync_to_thread(self._save, request, web, caller, form, customer, back)

    @post("/branding/preview", request_max_body_size=MAX_UPLOAD)
    async def preview(self, request: Request, data: Annotated[dict[str, Any], _MULTIPART],
                      web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        """The preview as an htmx fragment, from what is typed (nothing saved)."""
        require_msp_staff(caller, _STAFF_ONLY)
        form = await _form({k: v for k, v in data.items() if k != "logo"})
        customer_id = None
        try:
            customer_id = uuid.UUID(_text(data, "customer_id")) if _text(data, "customer_id") else None
        except ValueError:
            customer_id = None
        view = await sync_to_thread(_stored_brand, request, web, caller, customer_id)
        error = None
        try:
            brand = make_brand(form.display_name, primary=form.primary, accent=form.accent, contact=form.contact,
                               logo=view.logo, attribution=view.attribution)
        except InvalidInput as exc:
            brand, error = view, str(exc)
        return Template("branding/_preview.html", context={"brand": brand, "checks": _checks(brand), "aa": AA_NORMAL,
                                                           "error": error})


def _stored_brand(request: Request, web: WebRuntime, caller: Caller, customer_id: uuid.UUID | None) -> Brand:
    try:
        with caller_unit_of_work(web, caller, request) as uow:
            return branding_of(uow, caller.membership.msp_id, customer_id).brand
    except NotFound:
        raise NotFoundException("no such customer, or not one you can see") from None
