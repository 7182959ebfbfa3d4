"""An MSP's alert channels and rules: made and removed by MSP admins, read by MSP staff.

The database checks the role again (migration 0018's policies), so these checks are for the message,
not the only guard. A channel's target and signing secret are sealed before they reach the database;
a generic webhook's signing secret is shown once, when the channel is made, and never again.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from portal.db.engine import scope_key_of
from portal.db.models import Alert, AlertChannel, AlertDelivery, AlertRule, ChannelKind, Condition, Customer
from portal.db.uow import UnitOfWork
from portal.services.accounts import Action, MembershipView, may
from portal.services.alerts._targets import Resolver, check_target, hint_of, system_resolver
from portal.services.audit import record_event
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.plain_text import plain_line
from portal.services.sealing import seal

__all__ = ["CONDITION_LABELS", "THRESHOLDS", "AlertingView", "ChannelMade", "alerting_view", "create_channel",
           "create_rule", "delete_channel", "delete_rule", "send_test"]

#: What each condition is called on the page and in messages.
CONDITION_LABELS = {
    Condition.NEW_CRITICAL: "New critical finding",
    Condition.SCORE_DROP: "Score dropped by more than N points",
    Condition.REGRESSED: "A check regressed",
    Condition.CONNECTION_LOST: "Connection lost",
    Condition.SCAN_FAILING: "Scans failing N times in a row",
}
#: Conditions that take a number, with its default.
THRESHOLDS = {Condition.SCORE_DROP: 10, Condition.SCAN_FAILING: 3}
#: Purposes of the sealed columns (``portal.services.sealing``).
TARGET_PURPOSE, SECRET_PURPOSE = "alert target", "alert signing secret"
_ADMINS_ONLY = "only MSP admins change where alerts go"


def _require_admin(caller: MembershipView) -> None:
    if not may(caller, Action.MANAGE_ALERTS):
        raise Forbidden(_ADMINS_ONLY)


@dataclass(frozen=True)
class ChannelMade:
    channel_id: uuid.UUID
    #: A generic webhook's signing secret: shown once, to put in the receiver. None for other kinds.
    signing_secret: str | None


def create_channel(uow: UnitOfWork, engine: Engine, caller: MembershipView, *, kind: str, name: str, target: str,
                   allow_private: bool, resolve: Resolver = system_resolver) -> ChannelMade:
    """Save a channel after checking its target (``_targets.check_target``).

    Raises:
        Forbidden: the caller is not an MSP admin.
        InvalidInput: an unknown kind, no name, or a target that is refused (``TargetRefused``).
    """
    _require_admin(caller)
    try:
        channel_kind = ChannelKind(kind)
    except ValueError:
        raise InvalidInput("choose email, Teams, Slack or a generic webhook") from None
    name = plain_line(name, "channel's name", max_length=100)
    normalised = check_target(channel_kind, target, allow_private=allow_private, resolve=resolve)
    key = scope_key_of(engine)
    signing = secrets.token_urlsafe(32) if channel_kind is ChannelKind.WEBHOOK else None
    channel_id = uuid.uuid4()
    uow.session.execute(insert(AlertChannel).values(
        id=channel_id, msp_id=caller.msp_id, kind=channel_kind.value, name=name,
        target_sealed=seal(key, TARGET_PURPOSE, normalised, associated=channel_id.bytes),
        secret_sealed=seal(key, SECRET_PURPOSE, signing, associated=channel_id.bytes) if signing else None,
        target_hint=hint_of(channel_kind, normalised), created_by=uow.scope.actor or "unknown"))
    record_event(uow, customer_id=None, action="alerts.channel_added", target=f"alert_channel:{channel_id}",
                 details={"kind": channel_kind.value, "name": name, "target": hint_of(channel_kind, normalised)})
    return ChannelMade(channel_id, signing)


def _channel(uow: UnitOfWork, channel_id: uuid.UUID) -> AlertChannel:
    channel = uow.session.scalar(select(AlertChannel).where(AlertChannel.id == channel_id,
                                                            AlertChannel.deleted_at.is_(None)))
    if channel is None:
        raise NotFound(f"alert channel {channel_id} not found")
    return channel


def delete_channel(uow: UnitOfWork, caller: MembershipView, channel_id: uuid.UUID, *, now: dt.datetime) -> None:
    """Remove a channel and the rules that route to it (kept, marked deleted, for the delivery log).

    Raises:
        Forbidden: the caller is not an MSP admin.
        NotFound: no such channel in the caller's MSP.
    """
    _require_admin(caller)
    channel = _channel(uow, channel_id)
    channel.deleted_at = now
    uow.session.execute(update(AlertRule).where(AlertRule.channel_id == channel_id, AlertRule.deleted_at.is_(None))
                        .values(deleted_at=now))
    record_event(uow, customer_id=None, action="alerts.channel_removed", target=f"alert_channel:{channel_id}",
                 details={"name": channel.name})


def create_rule(uow: UnitOfWork, caller: MembershipView, *, condition: str, channel_id: uuid.UUID,
                threshold: int | None = None, tag: str | None = None) -> uuid.UUID:
    """Route ``condition`` (for every customer, or those tagged ``tag``) to a channel.

    Raises:
        Forbidden: the caller is not an MSP admin.
        NotFound: no such channel.
        InvalidInput: an unknown condition, or a threshold out of range for it.
    """
    _require_admin(caller)
    try:
        chosen = Condition(condition)
    except ValueError:
        raise InvalidInput("choose what to alert on") from None
    _channel(uow, channel_id)
    if chosen in THRESHOLDS:
        threshold = THRESHOLDS[chosen] if threshold is None else threshold
        if not 1 <= threshold <= 100:
            raise InvalidInput("the number is from 1 to 100")
    else:
        threshold = None
    tag = plain_line(tag or "", "tag", max_length=50, required=False).lower() or None
    rule_id = uuid.uuid4()
    uow.session.execute(insert(AlertRule).values(
        id=rule_id, msp_id=caller.msp_id, condition=chosen.value, threshold=threshold, tag=tag, channel_id=channel_id,
        created_by=uow.scope.actor or "unknown"))
    record_event(uow, customer_id=None, action="alerts.rule_added", target=f"alert_rule:{rule_id}",
                 details={"condition": chosen.value, "threshold": threshold, "tag": tag, "channel": str(channel_id)})
    return rule_id


def delete_rule(uow: UnitOfWork, caller: MembershipView, rule_id: uuid.UUID, *, now: dt.datetime) -> None:
    """Stop a rule. Its open alerts stay in the log; no more are raised.

    Raises:
        Forbidden: the caller is not an MSP admin.
        NotFound: no such rule.
    """
    _require_admin(caller)
    rule = uow.session.scalar(select(AlertRule).where(AlertRule.id == rule_id, AlertRule.deleted_at.is_(None)))
    if rule is None:
        raise NotFound(f"alert rule {rule_id} not found")
    rule.deleted_at = now
    record_event(uow, customer_id=None, action="alerts.rule_removed", target=f"alert_rule:{rule_id}",
                 details={"condition": rule.condition})


def send_test(uow: UnitOfWork, caller: MembershipView, channel_id: uuid.UUID) -> uuid.UUID:
    """Queue a test message to a channel (the next tick delivers it, like any alert).

    Raises:
        Forbidden: the caller is not an MSP admin.
        NotFound: no such channel.
    """
    _require_admin(caller)
    _channel(uow, channel_id)
    delivery_id = uuid.uuid4()
    uow.session.execute(insert(AlertDelivery).values(id=delivery_id, msp_id=caller.msp_id, channel_id=channel_id,
                                                     event="test", created_by=uow.scope.actor or "unknown"))
    return delivery_id


@dataclass(frozen=True)
class OpenAlert:
    customer_id: uuid.UUID
    customer_name: str
    condition: str
    check_id: str
    opened_at: dt.datetime
    details: dict[str, object]


@dataclass(frozen=True)
class AlertingView:
    channels: list[AlertChannel]
    rules: list[AlertRule]
    open_alerts: list[OpenAlert]
    deliveries: list[AlertDelivery]


def alerting_view(uow: UnitOfWork, *, deliveries: int = 50) -> AlertingView:
    """The MSP's channels, rules, open alerts and latest deliveries (what the caller's scope sees)."""
    channels = list(uow.session.scalars(select(AlertChannel).where(AlertChannel.deleted_at.is_(None))
                                        .order_by(AlertChannel.name)))
    rules = list(uow.session.scalars(select(AlertRule).where(AlertRule.deleted_at.is_(None))
                                     .order_by(AlertRule.created_at)))
    open_alerts = [OpenAlert(a.customer_id, name, a.condition, a.check_id, a.opened_at, a.details)
                   for a, name in uow.session.execute(
                       select(Alert, Customer.name).join(Customer, Customer.id == Alert.customer_id)
                       .where(Alert.cleared_at.is_(None)).order_by(Alert.opened_at.desc()).limit(200))]
    log = list(uow.session.scalars(select(AlertDelivery).order_by(AlertDelivery.created_at.desc()).limit(deliveries)))
    return AlertingView(channels, rules, open_alerts, log)
