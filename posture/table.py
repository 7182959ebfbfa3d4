"""The human view of a scan: a progress display while scanning and a table of results.

Failures first, by severity, because that is what an analyst acts on; passes are summarised in
one line unless asked for, so a 80-check table stays readable in a terminal.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from scanner import ScanResult, Severity, Status

__all__ = ["ProgressDisplay", "render_table"]

_STATUS_STYLE = {
    Status.FAIL: ("FAIL", "bold red"),
    Status.ERROR: ("ERROR", "yellow"),
    Status.PASS: ("pass", "green"),
    Status.NOT_APPLICABLE: ("n/a", "dim"),
}
_SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}
_STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 2, Status.NOT_APPLICABLE: 3}


class ProgressDisplay:
    """A progress bar on stderr, fed by the scanner's progress callback (stage, done, total)."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressDisplay:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        label = {"collect": "Reading tenant data", "evaluate": "Evaluating checks"}.get(stage, stage)
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(label, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)


def render_table(result: ScanResult, out: TextIO) -> None:
    """Print the summary and the findings table."""
    console = Console(file=out, width=max(100, Console(file=out).width), highlight=False)
    tenant = result.tenant
    console.print(f"[bold]{tenant.name or tenant.id}[/] {tenant.default_domain} ({tenant.id})")
    if result.status == "disconnected":
        console.print(f"[bold red]Disconnected:[/] {result.error}")
        return
    score = "n/a" if result.score is None else f"{result.score:.1f} ({result.grade})"
    counts = result.counts()
    console.print(
        f"Score [bold]{score}[/]  coverage {result.coverage:.0%}  status {result.status}  "
        f"{counts['fail']} failed, {counts['error']} errors, {counts['pass']} passed, "
        f"{counts['not_applicable']} not applicable  "
        f"({result.stats.requests} requests, {result.stats.duration_s:.1f} s)"
    )
    table = Table(show_lines=False, expand=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Check")
    table.add_column("Detail")
    rows = sorted(result.checks, key=lambda r: (_STATUS_ORDER[r.status], _SEVERITY_ORDER[r.meta.severity], r.id))
    for r in rows:
        label, style = _STATUS_STYLE[r.status]
        detail = r.reason or ""
        if r.affected:
            shown = ", ".join(r.affected[:3]) + (f" (+{len(r.affected) - 3} more)" if len(r.affected) > 3 else "")
            detail = f"{detail} {shown}".strip()
        table.add_row(f"[{style}]{label}[/]", r.meta.severity.value, f"{r.meta.title}\n[dim]{r.id}[/]", detail)
    console.print(table)
