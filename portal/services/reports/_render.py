"""Reports rendered to PDF: Jinja2 templates under ``templates/reports`` and WeasyPrint.

The renderer fetches nothing: the only URLs it accepts are ``data:`` URIs (the logo, inlined), so a
name in a report cannot make it read a file or call an address, whatever it contains. Every value is
escaped by Jinja's autoescape, and the charts are the portal's own macros (``templates/charts.html``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
from weasyprint import HTML
from weasyprint.urls import URLFetcher

__all__ = ["TEMPLATES_DIR", "render_document", "render_html", "render_pdf"]

#: The templates of pages, reports and emails (one folder; DESIGN.md "templates/").
TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "templates"


def _date(value: dt.date | dt.datetime | None, fmt: str = "%d %B %Y") -> str:
    return value.strftime(fmt).lstrip("0") if value else "\u2013"


def _percent(value: float | None, digits: int = 0) -> str:
    return "\u2013" if value is None else f"{value * 100:.{digits}f}%"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["date"] = _date
    env.filters["percent"] = _percent
    return env


def render_html(template: str, **context: Any) -> str:
    """A report template's HTML, as WeasyPrint (or a test) reads it."""
    return _environment().get_template(template).render(**context)


_renders = 0
_renders_lock = threading.Lock()


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Hold Python's cycle collector off while a report renders.

    A layout builds hundreds of thousands of small objects; the collector walking them again and again
    was a quarter of the render time (docs/benchmarks.md). Reference counting still frees everything
    that is not a cycle, and the collector runs again once the last render in the process is done.
    """
    global _renders
    with _renders_lock:
        _renders += 1
        gc.disable()
    try:
        yield
    finally:
        with _renders_lock:
            _renders -= 1
            if _renders == 0:
                gc.enable()


def render_document(template: str, **context: Any) -> tuple[bytes, int]:
    """The template rendered to PDF: its bytes and its number of pages."""
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    html = render_html(template, **context)
    with _without_cycle_collection():
        document = HTML(string=html, url_fetcher=fetcher).render()
        return document.write_pdf(), len(document.pages)


def render_pdf(template: str, **context: Any) -> bytes:
    """The template rendered to PDF bytes."""
    return render_document(template, **context)[0]
