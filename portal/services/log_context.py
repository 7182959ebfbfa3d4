"""Fields bound once per message or request and carried by every log record emitted meanwhile.

STYLE.md: bind ``request_id``, ``tenant_id``, ``scan_id``, ``message_id`` once per request or
message and clear them after. The worker's middleware binds the message's ids; ``run_scan`` adds the
tenant id once it has read it (messages carry ids only, so the middleware cannot know it).

Decisions:
- A ``ContextVar``: each worker thread has its own context, and the scanner's asyncio tasks and
  ``asyncio.to_thread`` calls inherit the binding of the thread that started the scan.
- :func:`install` wraps the log-record factory so every record gets two attributes, ``context``
  (``" scan_id=... tenant_id=..."``, empty when nothing is bound, ready for a format string) and
  ``context_fields`` (a dict, for structured handlers). It never sets ``tenant_id`` and friends as
  record attributes: ``logging`` refuses an ``extra=`` key that already exists on the record, and
  the scanner passes ``extra={"tenant_id": ...}``.
- Lives in ``portal.services`` because both the worker and (later) the web layer bind through it
  and both may import services; nothing here reads settings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

__all__ = ["bind", "bound", "clear", "current", "install"]

_EMPTY: Mapping[str, str] = MappingProxyType({})
_fields: ContextVar[Mapping[str, str]] = ContextVar("posture_log_context", default=_EMPTY)
_install_lock = threading.Lock()
_installed = False


def bind(**fields: object) -> None:
    """Add fields to the current context (values are rendered with ``str``; ``None`` is skipped)."""
    merged = dict(_fields.get())
    merged.update({k: str(v) for k, v in fields.items() if v is not None})
    _fields.set(MappingProxyType(merged))


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Bind fields for the duration of a block, then restore the context as it was."""
    token = _fields.set(_fields.get())
    bind(**fields)
    try:
        yield
    finally:
        _fields.reset(token)


def clear() -> None:
    """Forget every bound field (end of a message or request)."""
    _fields.set(_EMPTY)


def current() -> Mapping[str, str]:
    """The fields bound now."""
    return _fields.get()


def install() -> None:
    """Make every log record carry ``context`` and ``context_fields`` (idempotent, process-wide)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            fields = _fields.get()
            record.context_fields = dict(fields)
            record.context = "".join(f" {k}={v}" for k, v in fields.items())
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
