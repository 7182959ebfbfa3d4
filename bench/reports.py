"""Report benchmark: how long the PDFs take to render.

- The executive report of a 1,000-user tenant (``--users``) of each of the ``typical`` and ``neglected``
  simulator profiles, scanned once over real HTTP, then built and rendered ``--runs`` times
  (content built from the verdicts, HTML from the template, PDF by WeasyPrint).
- The email summary of the typical tenant (its HTML rendered and its CSS inlined, the text, the MIME
  message with the PDF attached), without the SMTP conversation.
- The fleet report of ``--customers`` customers (default 200), from their figures in memory: the
  database side of it is a handful of indexed queries; the rendering is the cost measured here.

Reports the median and the 95th percentile after one warm-up render, and the pages and size.

    python -m bench.reports [--users 1000] [--customers 200] [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable

from portal.services.branding import make_brand
from portal.services.reports import FleetReport, build_report, inputs_from_result
from portal.services.reports._fleet import CommonFailure, FleetLine
from portal.services.reports._render import render_document
from portal.services.summaries import compose_summary
from posture import scanning
from scanner import SEVERITY_WEIGHTS, catalogue, grade

BRAND = make_brand("Northwind IT", primary="#1f4e79", contact="help@northwind.example",
                   attribution="Prepared by Northwind IT")


def _time(render: Callable[[], tuple[bytes, int]], runs: int) -> tuple[list[float], int, int]:
    pdf, pages = render()  # warm-up: fonts, templates
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        pdf, pages = render()
        times.append(time.perf_counter() - started)
    return times, pages, len(pdf)


def _summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms"


def _fleet(customers: int) -> FleetReport:
    rng = random.Random(7)
    today = dt.date.today()
    lines = []
    for i in range(customers):
        score = round(rng.uniform(20, 98), 1) if i % 17 else None
        lines.append(FleetLine(uuid.uuid4(), f"Customer {i:03d} Holdings Ltd", score, grade(score),
                               round(rng.uniform(-12, 12), 1), rng.randint(0, 4), rng.randint(0, 9),
                               "disconnected" if i % 41 == 0 else "connected",
                               dt.datetime.now(dt.UTC) - dt.timedelta(hours=rng.randint(1, 40)), "Standard"))
    checks = list(catalogue())[:10]
    common = tuple(CommonFailure(c.id, c.meta.title, c.meta.severity.value, customers - 7 * n)
                   for n, c in enumerate(checks))
    trend = tuple((today - dt.timedelta(days=d), round(60 + d / 10, 1)) for d in range(89, -1, -1))
    return FleetReport(brand=BRAND, tag=None, issued_on=today, version=1, note="", lines=tuple(lines), common=common,
                       trend=trend, trend_start=today - dt.timedelta(days=89))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    rows = []
    for profile in ("typical", "neglected"):
        request = scanning.ScanRequest(checks=scanning.select_checks(None))
        result = asyncio.run(scanning.scan_simulated(request, profile=profile, users=args.users))

        def executive(result=result) -> tuple[bytes, int]:
            report = build_report(inputs_from_result(result, BRAND, issued_on=dt.date.today()))
            return render_document("reports/executive.html", r=report, weights=SEVERITY_WEIGHTS)

        failing = sum(c.status.value == "fail" for c in result.checks)
        rows.append((f"executive, {profile}, {args.users} users, {failing} failing", *_time(executive, args.runs)))
        if profile == "typical":
            report = build_report(inputs_from_result(result, BRAND, issued_on=dt.date.today()))
            pdf, pages = executive()

            def summary(report=report, pdf=pdf, pages=pages) -> tuple[bytes, int]:
                message = compose_summary(report, to="ceo@contoso.example", from_address="reports@northwind.example",
                                          delivery_id=uuid.uuid4(), pdf=pdf, filename="report.pdf", pages=pages,
                                          portal_link="https://posture.example/customers/x",
                                          unsubscribe_url="https://posture.example/unsubscribe/x")
                return message.as_bytes(), 0

            rows.append(("summary email (HTML inlined, text, PDF attached)", *_time(summary, args.runs)))
    fleet = _fleet(args.customers)
    rows.append((f"fleet, {args.customers} customers", *_time(
        lambda: render_document("reports/fleet.html", f=fleet), args.runs)))
    print(f"{args.runs} renders each after one warm-up, one process")
    for name, times, pages, size in rows:
        shown = f"{pages:3d} pages" if pages else "         "
        print(f"{name:50} {_summary(times)}   {shown} {size / 1024:6.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
