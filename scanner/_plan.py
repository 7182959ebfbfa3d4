"""The collection plan: which requests a scan sends, derived from the checks that will run.

Each check declares what it reads (``META.collections``) and which licences it needs
(``META.gates``). The plan fetches every needed collection exactly once and nothing else, so a scan
of one check sends only what that check needs (plus the licence inventory that gates it).

Rounds, to keep the request count low without knowing licences in advance:
1. ``organization`` and ``subscribed_skus`` (licences, hybrid flag) together with every collection
   an ungated check needs: these are needed whatever the licences say, so they share the first
   ``$batch`` instead of waiting for it.
2. Once licences are known: the collections of the gated checks that will run, the Exchange
   cmdlets, and fan-outs whose source arrived (the members of groups holding privileged roles).
3. What depends on those: public DNS lookups for each accepted domain (SPF, DKIM keys, DMARC), and
   fan-outs of fan-outs.
Graph requests of one round travel in ``$batch`` requests of up to 20, and their later pages share
batches too (``GraphClient.fetch_many``); Exchange cmdlets run concurrently beside them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from scanner._dns import DnsResolver
from scanner._errors import MalformedData, ScannerError
from scanner._exchange import ExchangeClient
from scanner._transport import GraphClient, GraphRequest
from scanner.checks import Check
from scanner.checks._model import Gate
from scanner.collections import (
    ALWAYS,
    COLLECTIONS,
    Collection,
    DnsCollection,
    ExchangeCollection,
    GraphCollection,
    GraphFanOut,
    GraphPartitioned,
    accepted_domain_names,
)

__all__ = ["Collector", "first_round", "needed_collections"]

log = logging.getLogger(__name__)


def _licence(name: str) -> str | None:
    return getattr(COLLECTIONS[name], "licence", None)


def first_round(checks: Iterable[Check]) -> list[str]:
    """Collections needed before licences are known: the inventory and what ungated checks read
    (but collections that exist only with a licence, which wait for the inventory)."""
    names = set(ALWAYS)
    for check in checks:
        if not check.meta.gates:
            names.update(n for n in check.meta.collections if _licence(n) is None)
    return sorted(names)


def needed_collections(checks: Iterable[Check], gates: set[Gate] | None) -> list[str]:
    """Every collection the runnable checks read. With unknown licences only ungated checks run, and a
    collection that exists only with a licence is read only when the tenant has it."""
    names = set(ALWAYS)
    held = {g.value for g in gates or ()}
    for check in checks:
        runnable = not check.meta.gates if gates is None else all(g in gates for g in check.meta.gates)
        if runnable:
            names.update(n for n in check.meta.collections if _licence(n) is None or _licence(n) in held)
    return sorted(names)


ProgressFn = Callable[[int, int], None]


class Collector:
    """Fetches collections by name through the Graph and Exchange clients, each once.

    Results map a collection name to its data or to the ``ScannerError`` that prevented reading it;
    one failed collection never stops the others. Token errors (the tenant cannot be reached at all)
    propagate.
    """

    def __init__(
        self,
        graph: GraphClient,
        exchange_factory: Callable[[], ExchangeClient],
        progress: ProgressFn | None = None,
        dns_factory: Callable[[], DnsResolver] = DnsResolver,
        extra: Mapping[str, Collection] | None = None,
    ) -> None:
        self._graph = graph
        # Collections of this scan only (the members of the groups an MSP bills by), beside the catalogue's.
        self._specs: Mapping[str, Collection] = {**COLLECTIONS, **(extra or {})}
        self._exchange_factory = exchange_factory
        self._dns_factory = dns_factory
        self._dns: DnsResolver | None = None
        self._exchange: ExchangeClient | None = None
        self._progress = progress
        self.results: dict[str, Any] = {}
        self._total = 0

    def expect(self, names: Iterable[str]) -> None:
        """Tell the progress display how many collections the scan will read in all."""
        self._total = max(self._total, len(set(names) | set(self.results)))
        self._report()

    async def collect(self, names: Iterable[str]) -> None:
        """Fetch every named collection not fetched yet, in as many rounds as fan-outs require."""
        pending = [n for n in dict.fromkeys(_with_sources(names, self._specs)) if n not in self.results]
        while pending:
            ready = [n for n in pending if self._is_ready(n)]
            if not ready:
                raise RuntimeError(f"collections wait on sources never requested: {pending}")
            await self._fetch_round(ready)
            pending = [n for n in pending if n not in self.results]

    async def aclose(self) -> None:
        if self._exchange is not None:
            await self._exchange.aclose()

    def _is_ready(self, name: str) -> bool:
        spec = self._specs[name]
        return (not isinstance(spec, GraphFanOut | GraphPartitioned | DnsCollection)
                or all(s in self.results for s in spec.sources))

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(len(self.results), max(self._total, len(self.results)))

    async def _fetch_round(self, names: list[str]) -> None:
        graph: dict[str, GraphRequest] = {}
        fanouts: dict[str, dict[str, str]] = {}
        exchange: dict[str, tuple[str, Mapping[str, Any]]] = {}
        lookups: dict[str, dict[str, list[str]]] = {}
        splits: dict[str, list[str]] = {}
        for name in names:
            spec = self._specs[name]
            if isinstance(spec, GraphPartitioned) and len(ranges := _partitions(spec, self.results[spec.source])) > 1:
                splits[name] = ranges
                for n, expression in enumerate(ranges):
                    graph[f"{name}/{n}"] = GraphRequest(f"{spec.path}&$filter={quote(expression, safe='')}",
                                                        spec.kind, dict(spec.headers), spec.permissions, share=name)
            elif isinstance(spec, GraphCollection):
                graph[name] = GraphRequest(spec.path, spec.kind, dict(spec.headers), spec.permissions)
            elif isinstance(spec, GraphFanOut):
                sources = [self.results[s] for s in spec.sources]
                failed = next((s for s in sources if isinstance(s, ScannerError)), None)
                if failed is not None:
                    self.results[name] = failed
                    continue
                fanouts[name] = spec.requests(*sources)
                for key, path in fanouts[name].items():
                    graph[f"{name}/{key}"] = GraphRequest(path, "list", {}, spec.permissions)
            elif isinstance(spec, ExchangeCollection):
                exchange[name] = (spec.cmdlet, spec.parameters)
            elif isinstance(spec, DnsCollection):
                source = self.results[spec.source]
                if isinstance(source, ScannerError):
                    self.results[name] = source
                    continue
                try:
                    lookups[name] = {domain: spec.names(domain) for domain in accepted_domain_names(source)}
                except (KeyError, TypeError, AttributeError) as exc:
                    detail = f"{spec.source} has an unexpected shape: {exc!r}"[:300]
                    self.results[name] = MalformedData(None, None, detail, spec.source)
        graph_task = self._graph.fetch_many(graph) if graph else _nothing()
        exchange_task = self._exchange_client().invoke_many(exchange) if exchange else _nothing()
        names_to_resolve = [n for per_domain in lookups.values() for listed in per_domain.values() for n in listed]
        dns_task = self._dns_resolver().txt_many(names_to_resolve) if names_to_resolve else _nothing()
        graph_out, exchange_out, dns_out = await asyncio.gather(graph_task, exchange_task, dns_task)
        for name in graph:
            if "/" not in name:
                self.results[name] = graph_out[name]
        for name, requests in fanouts.items():
            self.results[name] = _assemble_fanout(name, requests, graph_out)
        whole: dict[str, GraphRequest] = {}
        for name, ranges in splits.items():
            spec = self._specs[name]
            merged = _merge_partitions([graph_out[f"{name}/{n}"] for n in range(len(ranges))],
                                       self.results[spec.source])
            if merged is None:
                log.info("partitions of %s did not cover %s: reading it whole", name, spec.source)
                whole[name] = GraphRequest(spec.path, spec.kind, dict(spec.headers), spec.permissions)
            else:
                self.results[name] = merged
        if whole:
            self.results.update(await self._graph.fetch_many(whole))
        self.results.update(exchange_out)
        for name, per_domain in lookups.items():
            self.results[name] = {domain: [dns_out[n] for n in listed] for domain, listed in per_domain.items()}
        self._report()

    def _dns_resolver(self) -> DnsResolver:
        # Built on first use too: a scan without mail checks never reads the host's resolver settings.
        if self._dns is None:
            self._dns = self._dns_factory()
        return self._dns

    def _exchange_client(self) -> ExchangeClient:
        # Built on first use: a scan that needs no Exchange data requests no Exchange token.
        if self._exchange is None:
            self._exchange = self._exchange_factory()
        return self._exchange


def _with_sources(names: Iterable[str], specs: Mapping[str, Collection]) -> list[str]:
    """The names, each fan-out preceded by the collections it is derived from."""
    out: list[str] = []
    for name in names:
        spec = specs[name]
        if isinstance(spec, GraphFanOut | GraphPartitioned | DnsCollection):
            out.extend(_with_sources(spec.sources, specs))
        out.append(name)
    return out


def _partitions(spec: GraphPartitioned, source: Any) -> list[str]:
    if isinstance(source, ScannerError) or not isinstance(source, list):
        return []
    return spec.partitions(source)


def _merge_partitions(parts: list[Any], source: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The partitions' objects, each once, in the source's order; None when a partition failed or the
    merge misses an object the source holds (then the list is read whole: no range may be trusted)."""
    if any(isinstance(part, ScannerError) for part in parts):
        return None
    merged: dict[Any, dict[str, Any]] = {}
    for part in parts:
        for item in part:
            if not isinstance(item, dict) or "id" not in item:
                return None
            merged.setdefault(item["id"], item)
    order = {item.get("id"): n for n, item in enumerate(source) if isinstance(item, dict)}
    if not order.keys() <= merged.keys():
        return None
    # Objects created since the source was read go last, as a whole read would list them.
    return sorted(merged.values(), key=lambda item: order.get(item["id"], len(order)))


def _assemble_fanout(name: str, requests: Mapping[str, str], out: Mapping[str, Any]) -> Any:
    assembled: dict[str, Any] = {}
    for key in requests:
        value = out[f"{name}/{key}"]
        if isinstance(value, ScannerError):
            return value
        assembled[key] = value
    return assembled


async def _nothing() -> dict[str, Any]:
    return {}
