"""The demo's mail sink: a real SMTP conversation in, the page out, and nothing served that it should not."""

from __future__ import annotations

import re
from email.message import EmailMessage

import httpx

from portal.services.mail import SmtpSender
from posture.demo_mail import MailSink

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6b52d0000000049454e44ae426082")


def _summary() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "reports@msp.test", "ceo@contoso.test", "Contoso <b>Q4</b>"
    message.set_content("Score 72")
    message.add_alternative('<p>Score 72</p><img src="cid:logo@posture"><script>alert(1)</script>', subtype="html")
    message.get_payload()[1].add_related(PNG, maintype="image", subtype="png", cid="<logo@posture>")  # type: ignore[index]
    message.add_attachment(b"%PDF-1.7 demo", maintype="application", subtype="pdf", filename="../report.pdf")
    return message


def test_the_sink_keeps_what_it_receives_and_shows_it_safely(tmp_path) -> None:
    with MailSink(tmp_path / "mail") as sink:
        SmtpSender("127.0.0.1", sink.smtp_port, "reports@msp.test", tls="none").send(_summary())
        assert sink.wait_for(1, timeout_s=10) and sink.count() == 1
        with httpx.Client(base_url=sink.page_url) as page:
            listing = page.get("/")
            assert "Contoso &lt;b&gt;Q4&lt;/b&gt;" in listing.text and "<b>Q4" not in listing.text
            assert "ceo@contoso.test" in listing.text and "report.pdf" in listing.text
            shown = page.get("/000001.eml")
            assert shown.status_code == 200 and "Score 72" in shown.text and "sandbox" in shown.text
            html = page.get("/000001.eml/html")
            # The received HTML runs in a sandbox (no script), its cid: image served from the message.
            assert html.headers["content-security-policy"].startswith("sandbox;")
            assert 'src="/000001.eml/cid/logo@posture"' in html.text
            assert page.get("/000001.eml/cid/logo@posture").content == PNG
            [link] = re.findall(r"href='(/000001\.eml/part/\d+)'", listing.text)
            attachment = page.get(link)
            assert attachment.content == b"%PDF-1.7 demo"
            assert attachment.headers["content-disposition"] == 'attachment; filename=".._report.pdf"'
            for outside in ("/../../etc/passwd", "/000002.eml", "/000001.eml/part/99", "/x.eml", "/000001.eml/cid/x"):
                assert page.get(outside).status_code == 404
    assert [p.name for p in (tmp_path / "mail").iterdir()] == ["000001.eml"]  # kept for the next run
