"""Browser tests: Debian's Chromium driven by Playwright's Python package, against the portal served
by uvicorn on a loopback port (the real app over the real database and HTTP).

``playwright install`` downloads a browser and cannot run here: the tests launch the system's
``chromium`` (``.ci/run`` installs it) through ``executable_path``, with ``--no-sandbox`` as root.
Screenshots go to ``data/test-screenshots/`` (kept after the run, ignored by git) so a person can look.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from portal.web.runtime import WebRuntime
from tests.support.database import ROOT
from tests.support.serving import free_port, serving

SCREENSHOTS = ROOT / "data" / "test-screenshots"
#: Flags for a headless Chromium on a closed network (no background calls home).
CHROMIUM_ARGS = ["--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("Debian's chromium is not installed: apt-get install chromium (.ci/run does)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: Playwright's sync API runs an event loop of its own while it is open, and the
    # asyncio tests that follow in the session need the thread's loop back.
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=_chromium(), args=args)
        yield launched
        launched.close()


@pytest.fixture
def queued_scans() -> list[dict[str, object]]:
    """The "scan this tenant" messages the portal sent (the browser tests run no worker)."""
    return []


@pytest.fixture
def portal(web_engine: Engine, queued_scans: list[dict[str, object]]) -> Iterator[str]:
    """The portal on a free loopback port (its scans are only recorded in ``queued_scans``)."""
    runtime = WebRuntime(engine=web_engine, scan_queue=lambda **message: queued_scans.append(message))
    with serving(runtime, free_port()) as base:
        yield base


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # The simulator's consent page is HTTPS under a test CA that Chromium does not know.
    context = browser.new_context(viewport={"width": 1200, "height": 760}, ignore_https_errors=True)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save what the user sees now as ``data/test-screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
