"""Where an alert may be sent: webhook URLs that cannot be aimed inside our network, email addresses.

A webhook URL is a request our workers make on an MSP admin's word, so it is an SSRF vector: a URL
naming ``169.254.169.254`` (cloud metadata), ``10.0.0.5`` or ``localhost`` would have our workers post
to our own network. Outside the demo and tests (``allow_private``) a URL is refused unless:

- it is ``https``, without user or password, on the default port or 1024 and up;
- every address its host resolves to is globally routable (not private, loopback, link-local,
  shared, reserved, multicast or unspecified; IPv4-mapped IPv6 addresses are judged as IPv4);
- for Teams and Slack channels, the host is Microsoft's or Slack's webhook host.

The check runs when the channel is saved and again before each delivery, so a name that later
resolves inward (DNS rebinding) is refused then. Redirects are never followed. What remains is the
window between the check and the connection; closing it needs connecting to the checked address
itself, which this layer leaves to an egress proxy where the deployment has one (docs/decisions.md).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from email.utils import parseaddr
from urllib.parse import urlsplit

import httpx

from portal.db.models import ChannelKind
from portal.services.errors import InvalidInput
from portal.services.plain_text import plain_lines

__all__ = ["MAX_RECIPIENTS", "Resolver", "TargetRefused", "check_target", "hint_of", "parse_recipients"]

MAX_RECIPIENTS = 20
Resolver = Callable[[str, int], list[str]]
_MAX_URL = 2000
_TEAMS_HOSTS = re.compile(r"(^|\.)(webhook\.office\.com|logic\.azure\.com|powerplatform\.com)$")
_SLACK_HOSTS = re.compile(r"^hooks\.slack\.com$")
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")


class TargetRefused(InvalidInput):
    """A channel target that is not allowed; the message says why."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an empty list when it does not resolve)."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
    except (socket.gaierror, UnicodeError, OSError):
        return []


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def check_target(kind: ChannelKind, target: str, *, allow_private: bool,
                 resolve: Resolver = system_resolver) -> str:
    """The target, normalised, if alerts may go there.

    Raises:
        TargetRefused: what is wrong with it, in words for the form.
    """
    if kind is ChannelKind.EMAIL:
        return ", ".join(parse_recipients(target))
    url = target.strip()
    if not url or len(url) > _MAX_URL:
        raise TargetRefused("give the webhook's URL (at most 2,000 characters)")
    if not url.isascii() or any(ord(c) < 33 or ord(c) == 127 for c in url):
        # Pasted zero-width spaces and control characters: httpx would refuse it at every delivery.
        raise TargetRefused("the URL holds spaces, control or non-ASCII characters: copy it again")
    try:
        parts = urlsplit(url)
        port = parts.port
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        raise TargetRefused("this is not a URL") from None
    host = (parts.hostname or "").rstrip(".").lower()
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise TargetRefused("webhook URLs must use https")
    if not host:
        raise TargetRefused("the URL names no host")
    if parts.username or parts.password:
        raise TargetRefused("put no user name or password in the URL; a generic webhook is signed instead")
    if allow_private:
        return url
    if port is not None and port < 1024 and port != 443:
        raise TargetRefused("use the default https port, or one from 1024 up")
    if kind is ChannelKind.TEAMS and not _TEAMS_HOSTS.search(host):
        raise TargetRefused("a Teams webhook's URL is on webhook.office.com or a Power Automate workflow host")
    if kind is ChannelKind.SLACK and not _SLACK_HOSTS.match(host):
        raise TargetRefused("a Slack incoming webhook's URL is on hooks.slack.com")
    addresses = [host] if _is_ip(host) else resolve(host, port or 443)
    if not addresses:
        raise TargetRefused(f"{host} does not resolve")
    inward = [a for a in addresses if not _is_public(a)]
    if inward:
        raise TargetRefused(f"{host} resolves to a private, loopback or reserved address ({inward[0]}); "
                            "alerts are sent to public endpoints only")
    return url


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parse_recipients(text: str) -> list[str]:
    """Email addresses separated by commas, semicolons, spaces or new lines; lower-cased, unique.

    Raises:
        TargetRefused: none, more than ``MAX_RECIPIENTS``, or one that is not an address.
    """
    plain_lines(text, "recipients", max_length=4000)
    found: list[str] = []
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        _, address = parseaddr(part)
        if not _EMAIL.match(address or ""):
            raise TargetRefused(f"not an email address: {part[:80]}")
        if address.lower() not in found:
            found.append(address.lower())
    if not found:
        raise TargetRefused("give at least one email address")
    if len(found) > MAX_RECIPIENTS:
        raise TargetRefused(f"at most {MAX_RECIPIENTS} recipients per channel")
    return found


def hint_of(kind: ChannelKind, target: str) -> str:
    """What pages show of a target: the addresses, or a URL's host and the last characters of its path
    (the rest of a webhook URL is its secret)."""
    if kind is ChannelKind.EMAIL:
        return target[:200]
    parts = urlsplit(target)
    tail = (parts.path or "").rstrip("/")[-4:]
    return f"{parts.scheme}://{parts.hostname}/…{tail}"[:200]
