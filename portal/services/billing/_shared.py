"""Shared tenants: one Microsoft 365 tenant (the host) billed as several customers.

An MSP admin opens Manage tenant on a connected tenant, sees its verified domains and groups (as its
latest full scan read them), picks the ones that belong to a billing customer (an existing one of this
host, or a new one made there), reviews, and submits. From the next scan on, the host's licensed
members are placed per billing customer and what no selection names stays the host's.

Placing a licensed member (:func:`split_by_selections`, pure): the scan counts members per
(domains of their sign-in name and mail, billing groups they belong to); a member whose domain is
selected belongs to that domain's billing customer; else one in a selected group to that group's;
where two selections of different billing customers name the same member, the one given first wins
(then by value), so each member is counted once. (The worker that scans a host sees the host only,
not its billing customers' rows: nothing in the split may depend on them, their names included.) A scan that could not
read the members of a selected group, or the users at all, makes no split: the previous one stands.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError

from portal.db.models import Customer, TenantDirectory, TenantSelection
from portal.db.uow import UnitOfWork
from portal.services.audit import record_event
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from scanner import GROUP_KINDS

__all__ = ["DIRECTORY_KINDS", "DirectoryEntry", "Selection", "TenantView", "add_selections", "billing_groups_of",
           "record_directory", "remove_selection", "review_selections", "split_by_selections", "tenant_view",
           "with_billing_split"]

#: What the Manage tenant page filters by: domains, and each kind of group.
DIRECTORY_KINDS = {"domain": "Verified domain", **GROUP_KINDS}
MAX_SELECTIONS = 500


@dataclass(frozen=True)
class Selection:
    id: uuid.UUID
    billing_customer_id: uuid.UUID
    billing_customer_name: str
    kind: str  # domain | group
    value: str
    label: str
    created_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class DirectoryEntry:
    """One domain or group the page lists: what it is, and whom it belongs to (if anyone)."""

    kind: str  # domain | group
    value: str
    label: str
    detail: str  # "Verified domain", "Security group"...
    filter_kind: str  # a key of DIRECTORY_KINDS
    present: bool  # in the latest directory (False: selected once, gone from the tenant since)
    selection: Selection | None = None


@dataclass(frozen=True)
class TenantView:
    host_id: uuid.UUID
    host_name: str
    refreshed_at: dt.datetime | None  # None: no full scan has read the directory yet
    entries: list[DirectoryEntry]
    billing_customers: list[tuple[uuid.UUID, str]]
    total: int
    selections: list[Selection] = field(default_factory=list)


def split_by_selections(partitions: Iterable[Mapping[str, Any]], selections: Iterable[Selection],
                        host_id: uuid.UUID) -> dict[str, int]:
    """Licensed members per billing customer (by id, as text), the host's for the rest."""
    ordered = sorted(selections, key=lambda s: (s.created_at, s.kind, s.value))
    rank = {s.id: i for i, s in enumerate(ordered)}
    by_domain: dict[str, Selection] = {}
    by_group: dict[str, Selection] = {}
    for s in ordered:
        (by_domain if s.kind == "domain" else by_group).setdefault(s.value, s)
    out: dict[str, int] = {str(host_id): 0}
    for part in partitions:
        matched = [by_domain[d] for d in part["domains"] if d in by_domain] or \
                  [by_group[g] for g in part["groups"] if g in by_group]
        owner = min(matched, key=lambda s: rank[s.id]).billing_customer_id if matched else host_id
        out[str(owner)] = out.get(str(owner), 0) + int(part["count"])
    return out


def _selections(uow: UnitOfWork, host_id: uuid.UUID) -> list[Selection]:
    # An outer join: a worker scoped to the host sees no billing customer's row, and needs none.
    rows = uow.session.execute(
        select(TenantSelection, Customer.name).outerjoin(Customer, Customer.id == TenantSelection.billing_customer_id)
        .where(TenantSelection.customer_id == host_id)
        .order_by(Customer.name, TenantSelection.kind, TenantSelection.value))
    return [Selection(s.id, s.billing_customer_id, name or "another customer", s.kind, s.value, s.label, s.created_by,
                      s.created_at) for s, name in rows]


def billing_groups_of(uow: UnitOfWork, host_id: uuid.UUID) -> list[str]:
    """The group ids a scan of this host must read the members of."""
    return [s.value for s in _selections(uow, host_id) if s.kind == "group"]


def with_billing_split(uow: UnitOfWork, host_id: uuid.UUID, environment: dict[str, Any] | None
                       ) -> dict[str, Any] | None:
    """The scan's environment with ``billing_split`` added when the host's tenant is shared: the counts
    per billing customer, or None when this scan cannot tell (its users or a selected group unread)."""
    selections = _selections(uow, host_id)
    if not selections or environment is None:
        return environment
    partitions = environment.get("licensed_partitions")
    asked = set(environment.get("billing_groups_asked") or ())
    needed = {s.value for s in selections if s.kind == "group"}
    readable = partitions is not None and isinstance(environment.get("licensed"), int) and needed <= asked
    split = split_by_selections(partitions, selections, host_id) if readable else None
    return {**environment, "billing_split": split}


def record_directory(uow: UnitOfWork, customer: Customer, scan_id: uuid.UUID, directory: Mapping[str, Any],
                     read_at: dt.datetime) -> None:
    """Keep the tenant's domains and groups as this scan read them (the workers')."""
    values = {"domains": list(directory["domains"]), "groups": list(directory["groups"]), "scan_id": scan_id,
              "refreshed_at": read_at}
    statement = insert(TenantDirectory).values(customer_id=customer.id, msp_id=customer.msp_id, **values)
    uow.session.execute(statement.on_conflict_do_update(
        index_elements=[TenantDirectory.customer_id], set_=values,
        where=TenantDirectory.refreshed_at <= statement.excluded.refreshed_at))  # an older scan changes nothing


def _host(uow: UnitOfWork, host_id: uuid.UUID) -> Customer:
    host = uow.session.get(Customer, host_id)
    if host is None or host.removed_at is not None:
        raise NotFound(f"customer {host_id} not found")
    if host.billing_host_id is not None or host.tenant_id is None:
        raise Conflict("only a connected tenant of its own is shared: this customer has none")
    return host


def tenant_view(uow: UnitOfWork, host_id: uuid.UUID, *, q: str = "", kind: str = "") -> TenantView:
    """The host's domains and groups with their selections; ``q`` finds by name or id, ``kind`` filters."""
    host = _host(uow, host_id)
    directory = uow.session.get(TenantDirectory, host_id)
    selections = _selections(uow, host_id)
    chosen = {(s.kind, s.value): s for s in selections}
    entries: list[DirectoryEntry] = []
    if directory is not None:
        for d in directory.domains:
            entries.append(DirectoryEntry("domain", d["name"], d["name"], DIRECTORY_KINDS["domain"], "domain", True,
                                          chosen.get(("domain", d["name"]))))
        for g in directory.groups:
            value = g["id"].lower()
            entries.append(DirectoryEntry("group", value, g["name"], GROUP_KINDS.get(g["kind"], g["kind"]),
                                          g["kind"], True, chosen.get(("group", value))))
    seen = {(e.kind, e.value) for e in entries}
    entries += [DirectoryEntry(s.kind, s.value, s.label, DIRECTORY_KINDS.get(s.kind, s.kind), s.kind, False, s)
                for s in selections if (s.kind, s.value) not in seen]
    total = len(entries)
    needle = q.strip().lower()
    if needle:
        entries = [e for e in entries if needle in e.label.lower() or needle in e.value]
    if kind in DIRECTORY_KINDS:
        entries = [e for e in entries if e.filter_kind == kind]
    billing = [(c.id, c.name) for c in uow.session.scalars(
        select(Customer).where(Customer.billing_host_id == host_id, Customer.removed_at.is_(None))
        .order_by(Customer.name))]
    return TenantView(host.id, host.name, directory.refreshed_at if directory else None, entries, billing, total,
                      selections)


@dataclass(frozen=True)
class Review:
    """What a submit will do: these entries to this billing customer (``new_name`` when it is made now)."""

    billing_customer_id: uuid.UUID | None
    billing_customer_name: str
    entries: list[DirectoryEntry]

    @property
    def is_new(self) -> bool:
        return self.billing_customer_id is None


def review_selections(uow: UnitOfWork, host_id: uuid.UUID, picks: Iterable[str], *,
                      billing_customer_id: uuid.UUID | None, new_name: str = "") -> Review:
    """Check a choice before it is made. ``picks`` are ``kind:value`` keys of the page's entries.

    Raises:
        InvalidInput: nothing picked, an unknown pick, no billing customer named (or both an existing
            one and a new name), or too many.
        Conflict: a pick already belongs to another billing customer.
    """
    view = tenant_view(uow, host_id)
    keys = list(dict.fromkeys(p.strip().lower() for p in picks if p.strip()))
    if not keys:
        raise InvalidInput("select at least one domain or group")
    if len(keys) + len(view.selections) > MAX_SELECTIONS:
        raise InvalidInput(f"a tenant is split by at most {MAX_SELECTIONS} selections")
    name = " ".join(new_name.split())
    if (billing_customer_id is None) == (not name):
        raise InvalidInput("choose one billing customer: one of this tenant's, or a new one by name")
    if billing_customer_id is not None and billing_customer_id not in {c for c, _ in view.billing_customers}:
        raise InvalidInput("that billing customer does not share this tenant")
    by_key = {f"{e.kind}:{e.value}": e for e in view.entries if e.present}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise InvalidInput(f"not a domain or group of this tenant's latest scan: {', '.join(unknown[:5])}")
    taken = [by_key[k] for k in keys if by_key[k].selection is not None
             and by_key[k].selection.billing_customer_id != billing_customer_id]  # type: ignore[union-attr]
    if taken:
        first = taken[0].selection
        assert first is not None
        raise Conflict(f"{taken[0].label} already belongs to {first.billing_customer_name}")
    label = name or dict(view.billing_customers)[billing_customer_id]  # type: ignore[index]
    return Review(billing_customer_id, label, [by_key[k] for k in keys])


def add_selections(uow: UnitOfWork, host_id: uuid.UUID, picks: Iterable[str], *,
                   billing_customer_id: uuid.UUID | None, new_name: str = "") -> uuid.UUID:
    """Make the reviewed choice: the billing customer (if new) and its selections. Returns its id.

    Raises what :func:`review_selections` raises, and Forbidden when the caller is not an MSP admin."""
    review = review_selections(uow, host_id, picks, billing_customer_id=billing_customer_id, new_name=new_name)
    try:
        with uow.session.begin_nested():
            target = billing_customer_id
            if target is None:
                target = uow.session.scalar(text("SELECT posture_add_billing_customer(:h, :n)"),
                                            {"h": host_id, "n": review.billing_customer_name})
            added = [e for e in review.entries if e.selection is None]  # the others are this customer's already
            for entry in added:
                uow.session.execute(insert(TenantSelection).values(
                    id=uuid.uuid4(), msp_id=uow.scope.msp_id, customer_id=host_id, billing_customer_id=target,
                    kind=entry.kind, value=entry.value, label=entry.label[:300]))
            # The MSP's trail, not the tenant's: how the MSP bills is not its customer's to read.
            record_event(uow, customer_id=None, action="billing.tenant_split", target=f"customer:{host_id}",
                         details={"billing_customer": str(target), "name": review.billing_customer_name,
                                  "new_billing_customer": review.is_new,
                                  "selections": [f"{e.kind}:{e.value}" for e in added]})
    except DBAPIError as exc:
        message = str(exc.orig)
        if "row-level security" in message or "not yours to bill" in message:
            raise Forbidden("only the MSP's admins split a tenant between billing customers") from None
        if "uq_tenant_selections" in message or "duplicate key" in message:
            raise Conflict("one of these was just given to another billing customer: review again") from None
        raise
    assert target is not None
    return target


def remove_selection(uow: UnitOfWork, host_id: uuid.UUID, selection_id: uuid.UUID) -> None:
    """Give a domain or group back to the host (from the next scan on)."""
    _host(uow, host_id)
    try:
        with uow.session.begin_nested():
            gone = uow.session.execute(text("DELETE FROM tenant_selections WHERE id = :i AND customer_id = :h "
                                            "RETURNING billing_customer_id, kind, value"),
                                       {"i": selection_id, "h": host_id}).all()
            if gone:
                record_event(uow, customer_id=None, action="billing.tenant_split_removed",
                             target=f"customer:{host_id}", details={"billing_customer": str(gone[0][0]),
                                                                     "selection": f"{gone[0][1]}:{gone[0][2]}"})
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig):
            raise Forbidden("only the MSP's admins split a tenant between billing customers") from None
        raise
    if not gone:
        exists = uow.session.scalar(text("SELECT EXISTS (SELECT FROM tenant_selections WHERE id = :i)"),
                                    {"i": selection_id})
        if exists:
            raise Forbidden("only the MSP's admins split a tenant between billing customers")
        raise NotFound(f"selection {selection_id} not found")
