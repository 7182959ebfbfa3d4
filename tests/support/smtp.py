"""A real SMTP server for the tests: aiosmtpd on a free loopback port, keeping what it receives."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

__all__ = ["Inbox", "body", "inbox", "running_inbox"]


class Inbox:
    """An aiosmtpd handler keeping every message it accepts. ``replies`` are answered to DATA in turn
    before accepting (``"451 4.3.0 try later"``: the message is not kept), as a real relay refuses."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.raw: list[bytes] = []  # as received, byte for byte
        self.replies: list[str] = []
        self.refused = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.replies:
            self.refused += 1
            return self.replies.pop(0)
        self.raw.append(envelope.content)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 2.0.0 Ok: queued as TEST"

    def wait(self, count: int = 1, timeout_s: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout_s
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@contextmanager
def running_inbox() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on a free loopback port while the block runs: its inbox and port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with running_inbox() as running:
        yield running




def body(mail: Message) -> str:
    """The decoded text of a plain-text mail."""
    return mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
