"""Sending the outbox: one delivery at a time, signed, retried with backoff, logged.

- :func:`queue_due_deliveries` (the worker's tick, every minute): every pending delivery whose time has
  come is leased for ``LEASE`` and handed to the queue (a ``deliver_alert`` message each). A worker
  killed mid-send leaves the lease to run out, and the next tick sends it again.
- :func:`deliver`: the body of ``deliver_alert``. It locks the delivery row (``SKIP LOCKED``) and does
  nothing unless it is still pending: a redelivered message, or two at once, send once.
- A 2xx answer is sent; 408, 429, 5xx, a timeout or a refused connection is tried again after
  ``BACKOFF`` (30 s, 2 min, 8 min, 30 min, 2 h) up to ``MAX_ATTEMPTS``; any other answer, or a target
  now refused (its name resolves inward), gives up at once. Every attempt's outcome is on the row.

A generic webhook's request carries, besides the JSON body:

- ``X-Posture-Delivery``: the delivery's id, the same on every retry (the receiver's idempotency key);
- ``X-Posture-Timestamp``: Unix seconds when this attempt was signed;
- ``X-Posture-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed with the channel's signing secret,
  of ``"{timestamp}.{body}"``.

A receiver checks the signature (:func:`verify_signature` is the reference), refuses a timestamp more
than five minutes away from its clock, and ignores a delivery id it has seen: a captured request
replayed later fails the first check, replayed at once the last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from sqlalchemy import Engine, select

from portal.db.engine import scope_key_of
from portal.db.models import Alert, AlertChannel, AlertDelivery, ChannelKind, Customer
from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.alerts._manage import CONDITION_LABELS, SECRET_PURPOSE, TARGET_PURPOSE
from portal.services.alerts._targets import Resolver, TargetRefused, check_target, system_resolver
from portal.services.mail import compose
from portal.services.sealing import unseal
from scanner import get_check

__all__ = ["BACKOFF", "LEASE", "MAX_ATTEMPTS", "DeliveryQueue", "Mailer", "deliver", "queue_due_deliveries",
           "sign", "verify_signature"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF = (dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=8), dt.timedelta(minutes=30),
           dt.timedelta(hours=2))
#: How long a handed-out delivery is left to its worker before the tick hands it out again.
LEASE = dt.timedelta(minutes=5)
#: The receiver's allowed clock difference (documented for receivers; :func:`verify_signature`'s default).
TOLERANCE_S = 300
_TIMEOUT = httpx.Timeout(10.0)
_RETRY_CODES = frozenset({408, 425, 429})
DELIVERY_ACTOR = "system:alerts"


class DeliveryQueue(Protocol):
    def __call__(self, *, delivery_id: uuid.UUID, msp_id: uuid.UUID) -> None: ...


class Mailer(Protocol):
    def send(self, message: Any) -> None: ...


def queue_due_deliveries(uow: UnitOfWork, now: dt.datetime, *, send: DeliveryQueue, limit: int = 500) -> int:
    """Lease the pending deliveries in scope whose time has come and hand each to ``send`` after commit."""
    due = list(uow.session.scalars(
        select(AlertDelivery).where(AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= now)
        .order_by(AlertDelivery.next_attempt_at).limit(limit).with_for_update(skip_locked=True)))
    for delivery in due:
        delivery.next_attempt_at = now + LEASE
        uow.after_commit(lambda d=delivery.id, m=delivery.msp_id: send(delivery_id=d, msp_id=m))
    return len(due)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Posture-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def verify_signature(secret: str, *, timestamp: str, body: bytes, signature: str, now: float | None = None,
                     tolerance_s: int = TOLERANCE_S) -> bool:
    """What a receiver checks: a well-formed, recent timestamp and a matching signature."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


@dataclass(frozen=True)
class _Message:
    subject: str
    text: str
    document: dict[str, Any]


def _message(uow: UnitOfWork, delivery: AlertDelivery, portal_url: str | None) -> _Message:
    if delivery.event == "test":
        text = "This is a test alert from M365 posture. Alerts for this channel will look like this."
        return _Message("Test alert", text, {"id": str(delivery.id), "event": "test", "text": text})
    alert = uow.session.get(Alert, delivery.alert_id)
    customer = uow.session.get(Customer, delivery.customer_id)
    assert alert is not None and customer is not None
    label = CONDITION_LABELS.get(alert.condition, alert.condition)  # type: ignore[call-overload]
    check: dict[str, Any] | None = None
    what = label
    if alert.check_id:
        try:
            meta = get_check(alert.check_id).meta
            check = {"id": meta.id, "title": meta.title, "severity": meta.severity.value,
                     "references": list(meta.references)}
            what = f"{label}: {meta.title}"
        except KeyError:
            check = {"id": alert.check_id}
            what = f"{label}: {alert.check_id}"
    verb = "Resolved" if delivery.event == "cleared" else "Alert"
    details = {k: v for k, v in alert.details.items() if k != "scan_id"}
    facts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in details.items())
    link = f"{portal_url.rstrip('/')}/customers/{customer.id}" if portal_url else None
    text = f"{verb} at {customer.name}: {what}." + (f" ({facts})" if facts else "") + (f"\n{link}" if link else "")
    document = {
        "id": str(delivery.id), "event": delivery.event, "alert_id": str(alert.id), "condition": alert.condition,
        "customer": {"id": str(customer.id), "name": customer.name, "tenant_id": customer.tenant_id},
        "check": check, "details": details, "opened_at": alert.opened_at.isoformat(),
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None, "url": link, "text": text,
    }
    return _Message(f"{verb}: {customer.name}: {what}"[:200], text, document)


def _body(kind: ChannelKind, message: _Message) -> dict[str, Any]:
    if kind is ChannelKind.SLACK:
        return {"text": message.text}
    if kind is ChannelKind.TEAMS:  # an Adaptive Card: what Teams' incoming webhooks and Workflows both take
        return {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
            "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                        "version": "1.4", "body": [
                            {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "wrap": True},
                            {"type": "TextBlock", "text": message.text, "wrap": True}]}}]}
    return message.document


def deliver(engine: Engine, delivery_id: uuid.UUID, msp_id: uuid.UUID, *, mailer: Mailer | None,
            allow_private: bool, portal_url: str | None = None, client: httpx.Client | None = None,
            resolve: Resolver = system_resolver, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
            ) -> str | None:
    """Send one delivery if it is still pending; returns its status afterwards (None: nothing to do)."""
    key = scope_key_of(engine)
    with unit_of_work(engine, Scope.for_msp(msp_id, actor=DELIVERY_ACTOR)) as uow:
        delivery = uow.session.scalar(select(AlertDelivery).where(AlertDelivery.id == delivery_id)
                                      .with_for_update(skip_locked=True))
        if delivery is None or delivery.status != "pending":
            return None  # sent already, given up, or another worker holds it
        channel = uow.session.get(AlertChannel, delivery.channel_id)
        assert channel is not None
        now = clock()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        code, error, retry = _attempt(uow, delivery, channel, key, mailer=mailer, allow_private=allow_private,
                                      portal_url=portal_url, client=client, resolve=resolve)
        delivery.response_code, delivery.error = code, (error or None) and error[:500]
        if error is None:
            delivery.status, delivery.sent_at = "sent", now
        elif retry and delivery.attempts < MAX_ATTEMPTS:
            delivery.next_attempt_at = now + BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
        else:
            delivery.status = "gave_up"
        log.info("alert delivery attempted", extra={"delivery_id": str(delivery_id), "status": delivery.status,
                                                    "attempts": delivery.attempts, "code": code})
        return delivery.status


def _attempt(uow: UnitOfWork, delivery: AlertDelivery, channel: AlertChannel, key: bytes, *, mailer: Mailer | None,
             allow_private: bool, portal_url: str | None, client: httpx.Client | None,
             resolve: Resolver) -> tuple[int | None, str | None, bool]:
    """One attempt: (response code, error or None, whether to try again)."""
    kind = ChannelKind(channel.kind)
    target = unseal(key, TARGET_PURPOSE, channel.target_sealed, associated=channel.id.bytes)
    message = _message(uow, delivery, portal_url)
    if kind is ChannelKind.EMAIL:
        if mailer is None:
            return None, "no SMTP relay is configured (POSTURE_SMTP_HOST)", True
        try:
            mailer.send(compose(to=target, subject=f"[M365 posture] {message.subject}", text=message.text))
        except OSError as exc:  # smtplib's errors are OSErrors; a 5xx reply is one too
            permanent = getattr(exc, "smtp_code", 0) >= 500
            return getattr(exc, "smtp_code", None), f"SMTP: {exc}", not permanent
        return 250, None, False
    try:
        check_target(kind, target, allow_private=allow_private, resolve=resolve)
    except TargetRefused as exc:
        return None, f"refused: {exc}", False
    body = json.dumps(_body(kind, message), separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "m365-posture-alerts/1",
               "X-Posture-Delivery": str(delivery.id), "X-Posture-Event": delivery.event}
    if kind is ChannelKind.WEBHOOK:
        assert channel.secret_sealed is not None
        secret = unseal(key, SECRET_PURPOSE, channel.secret_sealed, associated=channel.id.bytes)
        stamp = int(time.time())
        headers |= {"X-Posture-Timestamp": str(stamp), "X-Posture-Signature": sign(secret, stamp, body)}
    own = client is None
    http = client or httpx.Client(timeout=_TIMEOUT, follow_redirects=False, trust_env=False)
    try:
        response = http.post(target, content=body, headers=headers)
    except httpx.HTTPError as exc:  # the URL is the channel's secret: never in the log
        return None, f"{type(exc).__name__}: {exc}".replace(target, channel.target_hint)[:500], True
    finally:
        if own:
            http.close()
    if 200 <= response.status_code < 300:
        return response.status_code, None, False
    retry = response.status_code in _RETRY_CODES or response.status_code >= 500
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}", retry
