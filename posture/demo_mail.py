"""The demo's mail: a local SMTP sink (aiosmtpd) and a page listing what it received.

The demo points ``POSTURE_SMTP_*`` at the sink, so the portal and the workers send summaries,
invitations and consent links exactly as in production, over SMTP, and nothing leaves the machine.
Each message is kept as an ``.eml`` file under the demo's folder (it survives a restart); the page
lists them, newest first, and shows one: its headers, its HTML in a sandboxed frame (no script, no
network: ``cid:`` images are served from the message itself), its plain text and its attachments.
"""

from __future__ import annotations

import html
import re
import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["MailSink"]

#: The received HTML's own policy: a sandboxed document that fetches nothing but its own images.
_MESSAGE_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src 'self'"
_STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem;color:#1b2430}table{border-collapse:collapse}"
          "td,th{border-bottom:1px solid #d9dee5;padding:.4rem .7rem;text-align:left;vertical-align:top}"
          "iframe{width:100%;height:60rem;border:1px solid #d9dee5}pre{white-space:pre-wrap;background:#f5f7fa;"
          "padding:1rem}.muted{color:#5b6675}")
_NAME = re.compile(r"^\d{6}\.eml$")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Keeper:
    """The SMTP handler: every message accepted is written to the folder, numbered in arrival order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            number = len(list(self.folder.glob("*.eml"))) + 1
            (self.folder / f"{number:06d}.eml").write_bytes(envelope.original_content or envelope.content)
        return "250 OK: kept by the demo's mail sink"


class MailSink:
    """An SMTP server and its page, both on loopback, while the ``with`` block runs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.smtp_port = _free_port()
        self._smtp = Controller(_Keeper(folder), hostname="127.0.0.1", port=self.smtp_port)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _page_handler(folder))
        self._thread = threading.Thread(target=self._http.serve_forever, name="demo-mail-page", daemon=True)

    @property
    def page_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/"

    def __enter__(self) -> MailSink:
        self._smtp.start()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._smtp.stop()

    def count(self) -> int:
        """How many messages the folder holds (this run's and earlier runs')."""
        return len(list(self.folder.glob("*.eml")))

    def wait_for(self, count: int, timeout_s: float) -> bool:
        """True once the folder holds ``count`` messages (False when ``timeout_s`` passes first)."""
        deadline = time.monotonic() + timeout_s
        while self.count() < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
        return True


def _read(folder: Path, name: str) -> EmailMessage | None:
    if not _NAME.match(name) or not (folder / name).is_file():
        return None
    return BytesParser(policy=policy.default).parsebytes((folder / name).read_bytes())  # type: ignore[return-value]


def _attachments(message: EmailMessage) -> list[tuple[int, EmailMessage]]:
    return [(i, part) for i, part in enumerate(message.walk())  # type: ignore[misc]
            if part.get_content_disposition() == "attachment"]


def _page(title: str, body: str) -> bytes:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>").encode()


def _listing(folder: Path) -> bytes:
    rows = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        message = _read(folder, path.name)
        if message is None:
            continue
        files = ", ".join(f"<a href='/{path.name}/part/{i}'>{html.escape(p.get_filename() or 'attachment')}</a>"
                          for i, p in _attachments(message))
        rows.append(f"<tr><td>{html.escape(str(message['Date'] or ''))}</td><td>{html.escape(str(message['To'] or ''))}"
                    f"</td><td><a href='/{path.name}'>{html.escape(str(message['Subject'] or '(no subject)'))}</a></td>"
                    f"<td>{files}</td></tr>")
    table = ("<table><thead><tr><th>Date</th><th>To</th><th>Subject</th><th>Attachments</th></tr></thead><tbody>"
             + "".join(rows) + "</tbody></table>") if rows else "<p class='muted'>Nothing sent yet.</p>"
    return _page("Demo mail", "<h1>Mail sent by the demo</h1><p class='muted'>Every message the portal and the "
                 "workers sent, kept by a local SMTP server: nothing left this machine.</p>" + table)


def _message_page(name: str, message: EmailMessage) -> bytes:
    headers = "".join(f"<tr><th>{h}</th><td>{html.escape(str(message[h]))}</td></tr>"
                      for h in ("From", "To", "Date", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post")
                      if message[h])
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    files = "".join(f"<li><a href='/{name}/part/{i}'>{html.escape(p.get_filename() or 'attachment')}</a> "
                    f"<span class='muted'>{p.get_content_type()}</span></li>" for i, p in _attachments(message))
    body = (f"<p><a href='/'>All mail</a></p><h1>{html.escape(str(message['Subject'] or ''))}</h1>"
            f"<table>{headers}</table>" + (f"<h2>Attachments</h2><ul>{files}</ul>" if files else "")
            + (f"<h2>HTML</h2><iframe sandbox src='/{name}/html' title='The message as HTML'></iframe>"
               if html_part is not None else "")
            + (f"<h2>Plain text</h2><pre>{html.escape(text_part.get_content())}</pre>" if text_part is not None
               else ""))
    return _page(str(message["Subject"] or name), body)


def _page_handler(folder: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # the demo's terminal shows progress, not page views

        def _send(self, status: int, body: bytes, content_type: str, csp: str = _PAGE_POLICY,
                  disposition: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", csp)
            self.send_header("X-Content-Type-Options", "nosniff")
            if disposition:
                self.send_header("Content-Disposition", disposition)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = self.path.split("?")[0].strip("/").split("/")
            if parts == [""]:
                return self._send(200, _listing(folder), "text/html; charset=utf-8")
            message = _read(folder, parts[0])
            if message is None:
                return self._send(404, _page("Not found", "<p>No such message.</p>"), "text/html; charset=utf-8")
            if len(parts) == 1:
                return self._send(200, _message_page(parts[0], message), "text/html; charset=utf-8")
            if parts[1:] == ["html"] and (part := message.get_body(preferencelist=("html",))) is not None:
                markup = re.sub(r"""src=(["'])cid:([^"']+)\1""",
                                lambda m: f"src={m[1]}/{parts[0]}/cid/{html.escape(m[2])}{m[1]}", part.get_content())
                return self._send(200, markup.encode(), "text/html; charset=utf-8", csp=_MESSAGE_POLICY)
            if len(parts) == 3 and parts[1] == "cid":
                for piece in message.walk():
                    if (str(piece.get("Content-ID", "")).strip("<>") == parts[2]
                            and piece.get_content_maintype() == "image"):
                        return self._send(200, piece.get_payload(decode=True), piece.get_content_type(),
                                          csp=_MESSAGE_POLICY)
            if len(parts) == 3 and parts[1] == "part" and parts[2].isdigit():
                for i, piece in _attachments(message):
                    if i == int(parts[2]):
                        filename = re.sub(r"[^A-Za-z0-9._-]", "_", piece.get_filename() or "attachment")
                        return self._send(200, piece.get_payload(decode=True), piece.get_content_type(),
                                          disposition=f'attachment; filename="{filename}"')
            return self._send(404, _page("Not found", "<p>No such part.</p>"), "text/html; charset=utf-8")

    return Handler
