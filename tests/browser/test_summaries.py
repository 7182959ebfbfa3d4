"""The email summary in Chromium: an MSP admin sets a customer's summary, sees the preview, sends a test to
themselves; the mail arrives at a real SMTP server (aiosmtpd), its HTML is drawn in Chromium as a mail
client would, and its unsubscribe link works without signing in."""

from __future__ import annotations

import base64
import io
import threading
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage

from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import MembershipView
from portal.services.branding import BrandingForm, save_branding
from portal.services.mail import SmtpSender
from portal.services.reports import render_stored_report
from portal.services.summaries import deliver_summary
from portal.web.runtime import WebRuntime
from tests.browser.conftest import free_port, screenshot, serving
from tests.browser.test_fleet import _history, _sign_in
from tests.portal.services.support import make_customer, make_msp
from tests.support.people import add_person
from tests.support.smtp import running_inbox


def _logo() -> bytes:
    image = Image.new("RGB", (160, 48), "#0b6e4f")
    image.paste("#ffffff", (12, 12, 36, 36))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _inline_cid_images(message: EmailMessage) -> str:
    """The HTML part with its ``cid:`` images as data URIs: what a mail client draws."""
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    for part in message.walk():
        cid = str(part.get("Content-ID", "")).strip("<>")
        if cid and part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_payload(decode=True)).decode()  # type: ignore[arg-type]
            html = html.replace(f"cid:{cid}", f"data:{part.get_content_type()};base64,{data}")
    return html


def test_an_admin_sets_a_summary_previews_it_and_a_test_arrives(page: Page, owner_engine: Engine,
                                                                 web_engine: Engine, app_engine: Engine,
                                                                 scope_key: bytes) -> None:
    msp = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp, name="Contoso Pharma")
    _history(app_engine, owner_engine, contoso, [0.5, 0.4, 0.3])
    user_id, admin = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)],
                                name="Ada Min")
    with unit_of_work(web_engine, Scope(msp_id=msp, customer_ids=None, actor=admin, user_id=user_id)) as uow:
        save_branding(uow, msp, BrandingForm(display_name="Northwind IT", primary="#0b6e4f", accent="#ffcc00",
                                             contact="Service desk 0800 123 456", logo=_logo()))

    with running_inbox() as (inbox, port):
        mailer = SmtpSender("127.0.0.1", port, "reports@northwind.test", tls="none")
        public_url = f"http://127.0.0.1:{free_port()}"

        def render(*, msp_id: uuid.UUID, customer_id: uuid.UUID | None, report_id: uuid.UUID) -> None:
            def run() -> None:  # as the report actor does: render, then send the summaries that waited
                render_stored_report(app_engine, report_id, msp_id, customer_id)
                for delivery_id in list(pending):
                    deliver(delivery_id=delivery_id, msp_id=msp_id)
            threading.Thread(target=run).start()

        pending: list[uuid.UUID] = []

        def deliver(*, delivery_id: uuid.UUID, msp_id: uuid.UUID) -> None:
            pending.append(delivery_id)
            threading.Thread(target=lambda: deliver_summary(
                app_engine, delivery_id, msp_id, mailer=mailer, from_address="reports@northwind.test",
                portal_url=public_url)).start()

        runtime = WebRuntime(engine=web_engine, report_queue=render, summary_queue=deliver, public_url=public_url)
        with serving(runtime, int(public_url.rsplit(":", 1)[1])) as portal:
            _sign_in(page, portal, admin)
            page.goto(f"{portal}/customers/{contoso.customer_id}")
            page.get_by_role("link", name="Email summary").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Contoso Pharma's email summary")
            page.get_by_label("How often").select_option("monthly")
            page.get_by_label("Other addresses").fill("board@contoso.test\ncfo@contoso.test")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("status").first).to_contain_text("The next summary goes on")
            expect(page.locator("#recipients")).to_contain_text("cfo@contoso.test")
            preview = page.frame_locator("iframe.mail-preview")
            expect(preview.locator("h1")).to_have_text("Contoso Pharma")
            expect(preview.get_by_text("See the details in the portal")).to_be_visible()

            page.get_by_role("button", name="Send a test to me").click()
            expect(page.get_by_role("status").first).to_contain_text(f"A test is on its way to {admin}")
            # The log polls while the test is on its way: a report is rendered first, then the mail sent.
            expect(page.locator("#log .status-pass")).to_have_text("sent", timeout=30_000)
            expect(page.locator("#log")).to_contain_text("250")
            screenshot(page, "summary-settings")

            inbox.wait(1, timeout_s=30)
            [mail] = [message_from_bytes(raw, policy=policy.default) for raw in inbox.raw]
            assert str(mail["To"]) == admin.lower() and str(mail["Subject"]).startswith("[Test] Contoso Pharma")
            # The logo travels in the message (multipart/related, referenced by cid:), not fetched from us.
            html_part = mail.get_body(preferencelist=("html",))
            related = next(p for p in mail.walk() if p.get_content_type() == "multipart/related")
            assert html_part in related.get_payload() and 'src="cid:' in html_part.get_content()

            # Drawn as a mail client would, 600 px wide and without the portal's styles.
            mail_page = page.context.new_page()
            mail_page.set_viewport_size({"width": 760, "height": 900})
            mail_page.set_content(_inline_cid_images(mail))
            expect(mail_page.locator("h1")).to_have_text("Contoso Pharma")
            assert mail_page.locator("img").evaluate("i => i.naturalWidth") == 160  # the logo decoded
            width = mail_page.locator("table.card, table[width='600']").first.evaluate("t => t.offsetWidth")
            assert width == 600
            screenshot(mail_page, "summary-email")

            # The unsubscribe link, opened by someone who is not signed in: confirm, then done.
            link = str(mail["List-Unsubscribe"]).strip("<>")
            assert link.startswith(f"{public_url}/unsubscribe/")
            outsider = page.context.browser.new_context()  # type: ignore[union-attr]
            stranger = outsider.new_page()
            stranger.goto(link)
            expect(stranger.get_by_role("heading", level=1)).to_have_text("Stop these summaries?")
            stranger.get_by_role("button", name=f"Unsubscribe {admin.lower()}").click()
            expect(stranger.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
            screenshot(stranger, "summary-unsubscribed")
            outsider.close()
