"""Sending the outbox: one delivery at a time, signed, retried with backoff, logged.

- :func:`queue_due_deliveries` (the worker's tick, every minute): the outbox's lease
  (``portal.services.outbox``), a ``deliver_alert`` message each.
- :func:`deliver`: the body of ``deliver_alert``. It claims the delivery as the outbox does (once per
  lease, the attempt counted before it sends). A removed channel gets nothing.
- A 2xx answer is sent; 408, 429, 5xx, a timeout or a refused connection is tried again after
  ``BACKOFF`` (30 s, 2 min, 8 min, 30 min, 2 h) up to ``MAX_ATTEMPTS``; any other answer, or a target
  now refused (its name resolves inward), gives up at once. Every attempt's outcome is on the row.

A generic webhook's request carries, besides the JSON body:

- ``X-Posture-Delivery``: the delivery's id, the same on every retry (the receiver's idempotency key);
- ``X-Posture-Timestamp``: Unix seconds when this attempt was signed;
- ``X-Posture-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed with the channel's signing secret,
  of ``"{timestamp}.{delivery id}.{body}"``.

A receiver checks the signature (:func:`verify_signature` is the reference), refuses a timestamp more
than five minutes away from its clock, and ignores a delivery id it has seen: a captured request
replayed later fails the timestamp, replayed at once the seen id, and a replay with another id or
time fails the signature, which covers both.
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
from typing import Any

import httpx
from sqlalchemy import Engine, select

from portal.db.engine import scope_key_of
from portal.db.models import Alert, AlertChannel, AlertDelivery, ChannelKind, Customer
from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.alerts._evaluate import ALERTS_ACTOR
from portal.services.alerts._manage import CONDITION_LABELS, SECRET_PURPOSE, TARGET_PURPOSE
from portal.services.alerts._targets import Resolver, check_target, system_resolver
from portal.services.errors import InvalidInput
from portal.services.mail import MailSender, compose, smtp_failure
from portal.services.outbox import (
    BACKOFF,
    LEASE,
    MAX_ATTEMPTS,
    attempted_since_lease,
    count_attempt,
    lease_due,
    settle,
)
from portal.services.outbox import OutboxQueue as DeliveryQueue
from portal.services.sealing import unseal
from scanner import get_check

__all__ = ["BACKOFF", "LEASE", "MAX_ATTEMPTS", "DeliveryQueue", "deliver", "queue_due_deliveries",
           "sign", "verify_signature"]

log = logging.getLogger(__name__)

#: The receiver's allowed clock difference (documented for receivers; :func:`verify_signature`'s default).
TOLERANCE_S = 300
_TIMEOUT = httpx.Timeout(10.0)
_RETRY_CODES = frozenset({408, 425, 429})
#: How much of a receiver's answer is read (and kept, decoded, up to 200 characters, for the log).
_ANSWER_KEPT = 1024


def queue_due_deliveries(uow: UnitOfWork, now: dt.datetime, *, send: DeliveryQueue, limit: int = 500) -> int:
    """Lease the pending deliveries in scope whose time has come and hand each to ``send`` after commit."""
    return lease_due(uow, AlertDelivery, now, send=send, limit=limit)


def sign(secret: str, timestamp: int, delivery_id: str, body: bytes) -> str:
    """The ``X-Posture-Signature`` value for ``body`` of delivery ``delivery_id``, sent at ``timestamp``."""
    signed = f"{timestamp}.{delivery_id}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(secret: str, *, timestamp: str, delivery_id: str, body: bytes, signature: str,
                     now: float | None = None, tolerance_s: int = TOLERANCE_S) -> bool:
    """What a receiver checks: a well-formed, recent timestamp and a signature over it, the delivery
    id and the body (then it drops a delivery id it has seen)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent, delivery_id, body), signature)


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


@dataclass(frozen=True)
class _Outbound:
    """What one attempt sends, read (and the attempt counted) in the claiming transaction."""

    delivery_id: uuid.UUID
    event: str
    attempt: int
    kind: ChannelKind
    target: str
    hint: str
    secret: str | None
    message: _Message


def deliver(engine: Engine, delivery_id: uuid.UUID, msp_id: uuid.UUID, *, mailer: MailSender | None,
            allow_private: bool, portal_url: str | None = None, client: httpx.Client | None = None,
            resolve: Resolver = system_resolver, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
            ) -> str | None:
    """Send one delivery if it is due to this message; returns its status afterwards (None: nothing to do).

    Three steps, so no row lock is held while a receiver takes its time: claim (count the attempt and
    set when to try again if it never reports), send, record the answer.
    """
    scope = Scope.for_msp(msp_id, actor=ALERTS_ACTOR)
    with unit_of_work(engine, scope) as uow:
        claimed = _claim(uow, delivery_id, scope_key_of(engine), portal_url, clock())
    if not isinstance(claimed, _Outbound):
        return claimed
    code, error, retry = _send(claimed, mailer=mailer, allow_private=allow_private, client=client, resolve=resolve)
    with unit_of_work(engine, scope) as uow:
        status = _record(uow, claimed, code, error, retry, clock())
    log.info("alert delivery attempted", extra={"delivery_id": str(delivery_id), "status": status,
                                                "attempts": claimed.attempt, "code": code})
    return status


def _claim(uow: UnitOfWork, delivery_id: uuid.UUID, key: bytes, portal_url: str | None,
           now: dt.datetime) -> _Outbound | str | None:
    delivery = uow.session.scalar(select(AlertDelivery).where(AlertDelivery.id == delivery_id)
                                  .with_for_update(skip_locked=True))
    if delivery is None or delivery.status != "pending":
        return None  # sent already, given up, or another worker is claiming it
    if attempted_since_lease(delivery):
        return None  # this message is a duplicate
    channel = uow.session.get(AlertChannel, delivery.channel_id)
    assert channel is not None
    if channel.deleted_at is not None or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "gave_up"
        delivery.error = ("the channel was removed" if channel.deleted_at is not None
                          else f"no answer recorded after {delivery.attempts} attempts")
        return delivery.status
    count_attempt(delivery, now)
    secret = (unseal(key, SECRET_PURPOSE, channel.secret_sealed, associated=channel.id.bytes)
              if channel.secret_sealed is not None else None)
    return _Outbound(delivery.id, delivery.event, delivery.attempts, ChannelKind(channel.kind),
                     unseal(key, TARGET_PURPOSE, channel.target_sealed, associated=channel.id.bytes),
                     channel.target_hint, secret, _message(uow, delivery, portal_url))


def _record(uow: UnitOfWork, sent: _Outbound, code: int | None, error: str | None, retry: bool,
            now: dt.datetime) -> str:
    delivery = uow.session.scalar(select(AlertDelivery).where(AlertDelivery.id == sent.delivery_id)
                                  .with_for_update())
    assert delivery is not None
    if settle(delivery, sent.attempt, sent=error is None, retry=retry, now=now):
        delivery.response_code, delivery.error = code, error[:500] if error else None
    return delivery.status


def _send(out: _Outbound, *, mailer: MailSender | None, allow_private: bool, client: httpx.Client | None,
          resolve: Resolver) -> tuple[int | None, str | None, bool]:
    """One attempt: (response code, error or None, whether to try again)."""
    message = out.message
    if out.kind is ChannelKind.EMAIL:
        if mailer is None:
            return None, "no SMTP relay is configured (POSTURE_SMTP_HOST)", True
        try:
            mailer.send(compose(to=out.target, subject=f"[M365 posture] {message.subject}", text=message.text))
        except OSError as exc:  # smtplib's errors are OSErrors; a 5xx reply is one too
            code, error, retry = smtp_failure(exc)
            return code, f"SMTP: {error}", retry
        return 250, None, False
    try:
        check_target(out.kind, out.target, allow_private=allow_private, resolve=resolve)
    except InvalidInput as exc:
        return None, f"refused: {exc}", False
    body = json.dumps(_body(out.kind, message), separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "m365-posture-alerts/1",
               "X-Posture-Delivery": str(out.delivery_id), "X-Posture-Event": out.event}
    if out.secret is not None:
        stamp = int(time.time())
        headers |= {"X-Posture-Timestamp": str(stamp),
                    "X-Posture-Signature": sign(out.secret, stamp, str(out.delivery_id), body)}
    own = client is None
    http = client or httpx.Client(timeout=_TIMEOUT, follow_redirects=False, trust_env=False)
    try:
        # Streamed, and only the start of the answer read: a receiver cannot make a worker hold gigabytes.
        with http.stream("POST", out.target, content=body, headers=headers) as response:
            head = next(response.iter_bytes(chunk_size=_ANSWER_KEPT), b"")[:_ANSWER_KEPT]
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # the URL is the channel's secret: never in the log
        permanent = isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol)
        return None, f"{type(exc).__name__}: {exc}".replace(out.target, out.hint)[:500], not permanent
    finally:
        if own:
            http.close()
    if 200 <= response.status_code < 300:
        return response.status_code, None, False
    retry = response.status_code in _RETRY_CODES or response.status_code >= 500
    answer = head.decode("utf-8", "replace")[:200]
    return response.status_code, f"HTTP {response.status_code}: {answer}", retry
