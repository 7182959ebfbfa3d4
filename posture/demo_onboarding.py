"""The demo's onboarding: every simulated customer is connected the way a real one is.

Two people act over HTTP, as their browsers would:

- the MSP's admin, in the portal, signs in, adds the customer (name, domain, tags), records the
  tenant's break-glass accounts (the exclusions its Conditional Access policies may have) and makes
  its consent link;
- the customer's Global Administrator opens that link on Microsoft's consent page (the simulator's),
  accepts, and is sent back to the portal's ``/onboarding/callback``, which checks the state, confirms
  the tenant and its permissions with Microsoft, and queues the first scan.

Nothing here reaches into the database: what the demo learns, it reads off the pages, so a broken
form, link or callback breaks the demo as it would break a real onboarding.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx

__all__ = ["ConsentOutcome", "OnboardingFailed", "PortalAdmin", "accept_consent"]

#: The callback page's heading when Microsoft has not finished spreading a fresh consent; the page
#: refreshes itself, and the demo asks again as often within this many seconds.
_SPREADING = "Almost there"
_SPREADING_WAIT_S = 180.0


class OnboardingFailed(RuntimeError):
    """A page did not answer as the onboarding flow says it does."""


class _Page(HTMLParser):
    """What the demo needs from a page: its h1, status or alert text, form inputs and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.heading = ""
        self.said = ""  # the text of the first role=status or role=alert
        self.inputs: dict[str, str] = {}
        self.links: dict[str, str] = {}  # link text -> href
        self._open: list[tuple[str, str]] = []  # (tag, "heading" or "said") being read
        self._href: str | None = None
        self._text: list[str] = []

    @classmethod
    def of(cls, response: httpx.Response) -> _Page:
        page = cls()
        page.feed(response.text)
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "input" and "name" in attributes:
            self.inputs[attributes["name"]] = attributes.get("value", "")
        elif tag == "a":
            self._href, self._text = attributes.get("href", ""), []
        elif tag == "h1" or attributes.get("role") in ("status", "alert"):
            self._open.append((tag, "heading" if tag == "h1" else "said"))
            self._text = []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text).split())
        if tag == "a" and self._href is not None:
            self.links[text] = self._href
            self._href = None
        elif self._open and self._open[-1][0] == tag:
            if self._open.pop()[1] == "heading":
                self.heading = self.heading or text
            else:
                self.said = self.said or text


@dataclass(frozen=True)
class ConsentOutcome:
    """What the portal's callback page told the Global Administrator."""

    heading: str  # "Connected", "Connected, with gaps", "Not connected"
    message: str

    @property
    def connected(self) -> bool:
        return self.heading.startswith("Connected")


class PortalAdmin:
    """The MSP admin in the portal, through its forms (CSRF token and session cookie as a browser)."""

    def __init__(self, portal_url: str, email: str, password: str) -> None:
        self._http = httpx.Client(base_url=portal_url, follow_redirects=False, timeout=60)
        self._csrf = ""
        self._email, self._password = email, password

    def __enter__(self) -> PortalAdmin:
        self.sign_in()
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def sign_in(self) -> None:
        self._csrf = _Page.of(self._http.get("/sign-in")).inputs.get("_csrf_token", "")
        answer = self._http.post("/sign-in", data={"email": self._email, "password": self._password,
                                                   "_csrf_token": self._csrf})
        if answer.status_code != 303 or "/sign-in" in answer.headers.get("location", "/sign-in"):
            raise OnboardingFailed(f"the demo's MSP admin could not sign in (HTTP {answer.status_code})")

    def add_customer(self, name: str, domain: str, tags: str) -> uuid.UUID:
        """The Add customer form; returns the new customer's id (from where the portal sends us)."""
        answer = self._http.post("/customers/new", data={"name": name, "domain": domain, "tags": tags,
                                                         "_csrf_token": self._csrf})
        location = answer.headers.get("location", "")
        if answer.status_code != 303 or not location.startswith("/customers/"):
            raise OnboardingFailed(f"adding {name}: HTTP {answer.status_code} {_Page.of(answer).said}")
        return uuid.UUID(location.removeprefix("/customers/").split("?")[0])

    def record_break_glass(self, customer_id: uuid.UUID, object_ids: tuple[str, ...]) -> None:
        """The customer page's break-glass form: the accounts its Conditional Access may exclude."""
        answer = self._http.post(f"/customers/{customer_id}/break-glass",
                                 data={"ids": " ".join(object_ids), "_csrf_token": self._csrf})
        if answer.status_code != 303:
            raise OnboardingFailed(f"recording break-glass accounts: HTTP {answer.status_code} {_Page.of(answer).said}")

    def consent_link(self, customer_id: uuid.UUID) -> str:
        """Make a consent link button; the link is on the page it returns."""
        answer = self._http.post(f"/customers/{customer_id}/consent-link", data={"_csrf_token": self._csrf})
        link = _Page.of(answer).links.get("Open the consent page")
        if answer.status_code != 200 or not link:
            raise OnboardingFailed(f"no consent link for customer {customer_id}: HTTP {answer.status_code}")
        return link


def accept_consent(link: str, tenant_id: str, *, ca_bundle: Path | None) -> ConsentOutcome:
    """The customer's Global Administrator opens the link, accepts, and lands on the portal's callback.

    The consent page is Microsoft's (the simulator's, over HTTPS with its own CA); the callback is the
    portal's. A consent still spreading through Microsoft is asked about again, as the page itself does.
    """
    with httpx.Client(verify=str(ca_bundle) if ca_bundle else True, follow_redirects=False, timeout=60) as microsoft:
        consent_page = microsoft.get(link)
        if consent_page.status_code != 200:
            raise OnboardingFailed(f"the consent page refused the link: HTTP {consent_page.status_code}")
        form = {**_Page.of(consent_page).inputs, "tenant": tenant_id, "decision": "accept"}
        decision = microsoft.post(link.split("?")[0], data=form)
    callback = decision.headers.get("location", "")
    if decision.status_code != 302 or not callback:
        raise OnboardingFailed(f"the consent page did not send the administrator back: HTTP {decision.status_code}")
    deadline = time.monotonic() + _SPREADING_WAIT_S
    with httpx.Client(follow_redirects=False, timeout=300) as browser:
        while True:
            page = _Page.of(browser.get(callback))
            if page.heading != _SPREADING or time.monotonic() > deadline:
                return ConsentOutcome(page.heading, page.said)
            time.sleep(5)
