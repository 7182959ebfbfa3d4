"""Branding and reports through the portal: uploads as an attacker sends them, the live preview, and a
report asked for on the customer page, rendered by a worker and downloaded."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from PIL import Image
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.services.reports import render_stored_report
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from scanner import Status
from tests.portal.services.support import CRITICAL, HIGH, make_customer, make_msp, record_verdicts
from tests.portal.web.support import sign_in
from tests.support.people import add_person


class Queue(list):  # type: ignore[type-arg]
    def __call__(self, **message: object) -> None:
        self.append(message)


@pytest.fixture
def queue() -> Queue:
    return Queue()


@pytest.fixture
def client(web_engine: Engine, queue: Queue) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine, report_queue=queue))) as test_client:
        yield test_client


def _admin(client: TestClient, owner: Engine, scope_key: bytes) -> tuple[uuid.UUID, str]:
    msp = make_msp(owner)
    _, email = add_person(owner, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)])
    return msp, sign_in(client, email)


def _form(csrf: str, **extra: str) -> dict[str, str]:
    return {"_csrf_token": csrf, "display_name": "Northwind IT", "primary": "#ffcc00", "accent": "#1f4e79",
            "contact": "0800 000 000", **extra}


def _stored(owner: Engine, msp: uuid.UUID) -> tuple[str, bytes | None, str | None] | None:
    with owner.connect() as connection:
        row = connection.execute(text("SELECT display_name, logo, logo_type FROM brandings WHERE msp_id = :m "
                                      "AND customer_id IS NULL"), {"m": msp}).one_or_none()
    return None if row is None else (row.display_name, bytes(row.logo) if row.logo else None, row.logo_type)


def test_an_svg_logo_is_stored_without_its_script(client, owner_engine, scope_key):
    msp, csrf = _admin(client, owner_engine, scope_key)
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)"><script>alert(2)</script>'
           b'<rect width="10" height="10" fill="#123456"/></svg>')
    saved = client.post("/branding", data=_form(csrf), files={"logo": ("logo.svg", svg, "image/svg+xml")},
                        follow_redirects=False)
    assert saved.status_code == 303, saved.text
    name, logo, kind = _stored(owner_engine, msp)
    assert name == "Northwind IT" and kind == "image/svg+xml"
    assert b"script" not in logo and b"onload" not in logo and b"<rect" in logo
    page = client.get("/branding?saved=1").text
    assert "Saved." in page and "data:image/svg+xml;base64," in page


def test_a_png_named_svg_and_declared_as_svg_is_stored_as_png(client, owner_engine, scope_key):
    msp, csrf = _admin(client, owner_engine, scope_key)
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, format="PNG")
    client.post("/branding", data=_form(csrf), files={"logo": ("evil.svg", out.getvalue(), "image/svg+xml")})
    assert _stored(owner_engine, msp)[2] == "image/png"  # decided by the content, never the name or type


def test_a_fifty_megabyte_upload_is_refused_before_it_is_read(client, owner_engine, scope_key):
    msp, csrf = _admin(client, owner_engine, scope_key)
    huge = b"\x89PNG\r\n\x1a\n" + b"\0" * (50 * 1024 * 1024)
    response = client.post("/branding", data=_form(csrf), files={"logo": ("huge.png", huge, "image/png")})
    assert response.status_code == 413
    assert _stored(owner_engine, msp) is None


def test_a_decompression_bomb_is_refused_and_what_was_typed_is_kept(client, owner_engine, scope_key):
    msp, csrf = _admin(client, owner_engine, scope_key)
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    response = client.post("/branding", data=_form(csrf, display_name="Kept Name"),
                           files={"logo": ("bomb.png", out.getvalue(), "image/png")})
    assert response.status_code == 400 and "pixels" in response.text
    assert 'value="Kept Name"' in response.text
    assert _stored(owner_engine, msp) is None


def test_a_bad_colour_is_refused_with_the_reason(client, owner_engine, scope_key):
    msp, csrf = _admin(client, owner_engine, scope_key)
    response = client.post("/branding", data=_form(csrf, primary="red;background:url(http://x)"),
                           files={"logo": ("", b"", "application/octet-stream")})
    assert response.status_code == 400 and "#RRGGBB" in response.text
    assert _stored(owner_engine, msp) is None


def test_the_preview_follows_what_is_typed_and_reports_contrast(client, owner_engine, scope_key):
    msp, csrf = _admin(client, owner_engine, scope_key)
    response = client.post("/branding/preview", data=_form(csrf, display_name="<b>Preview</b> Co"),
                           files={"logo": ("", b"", "application/octet-stream")})
    assert response.status_code == 200
    assert "&lt;b&gt;Preview&lt;/b&gt; Co" in response.text  # escaped, in the SVG's text
    assert 'fill="#ffcc00"' in response.text and 'fill="#000000"' in response.text  # black on yellow
    assert response.text.count(">AA<") == 3
    assert _stored(owner_engine, msp) is None  # a preview saves nothing


def test_a_report_asked_for_on_the_customer_page_is_rendered_and_downloaded(client, owner_engine, scope_key,
                                                                             web_engine, app_engine, queue):
    msp, csrf = _admin(client, owner_engine, scope_key)
    customer = make_customer(owner_engine, msp, name="Fabrikam")
    record_verdicts(owner_engine, app_engine, customer, {CRITICAL: Status.FAIL, HIGH: Status.PASS},
                    dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    page = client.get(f"/customers/{customer.customer_id}")
    assert "Make the executive report" in page.text
    asked = client.post(f"/customers/{customer.customer_id}/reports", data={"_csrf_token": csrf, "note": "Hello"},
                        follow_redirects=False)
    assert asked.status_code == 303
    [message] = queue
    assert message["customer_id"] == customer.customer_id
    card = client.get(f"/customers/{customer.customer_id}/reports").text
    assert "rendering…" in card and 'hx-trigger="every 3s"' in card  # polls while it renders
    render_stored_report(app_engine, message["report_id"], msp, customer.customer_id)
    card = client.get(f"/customers/{customer.customer_id}/reports").text
    assert "ready" in card and "hx-trigger" not in card
    pdf = client.get(f"/customers/{customer.customer_id}/reports/{message['report_id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"] == 'attachment; filename="executive-report-2026-11-20-v1.pdf"'
    assert "no-store" in pdf.headers["cache-control"]


def test_a_note_with_control_characters_is_refused_and_kept(client, owner_engine, scope_key, app_engine, queue):
    msp, csrf = _admin(client, owner_engine, scope_key)
    customer = make_customer(owner_engine, msp, name="Fabrikam")
    record_verdicts(owner_engine, app_engine, customer, {CRITICAL: Status.PASS}, dt.datetime.now(dt.UTC))
    response = client.post(f"/customers/{customer.customer_id}/reports",
                           data={"_csrf_token": csrf, "note": "bad\x00note"})
    assert response.status_code == 400 and "control characters" in response.text
    assert queue == []
