"""The ``posture`` command line.

Exit status (CONTRACT.md): 0 when a scan completed or was partial (failing checks are findings,
not errors), 2 on a usage error, 3 when the tenant cannot be reached because consent is missing
or revoked, 1 on anything else. With ``--format json`` stdout carries the scan document and
nothing else; progress and errors go to stderr.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import click

from config.settings import Settings, load_settings
from posture import __version__

__all__ = ["main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DISCONNECTED = 0, 1, 2, 3
FORMATS = ("table", "json", "csv", "ocsf", "pdf")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="posture")
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Microsoft 365 security posture for managed service providers."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO; our transport logs requests itself, without query strings.
    logging.getLogger("httpx").setLevel(logging.WARNING)


@cli.command()
@click.option("--simulate", "profile", metavar="PROFILE", help="Scan a synthetic tenant of this simulator profile.")
@click.option("--tenant-id", metavar="TENANT", help="Scan this Microsoft 365 tenant (GUID or verified domain).")
@click.option("--users", type=click.IntRange(min=1), help="Simulated tenant: number of users.")
@click.option("--seed", type=int, default=0, show_default=True, help="Simulated tenant: generator seed.")
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, show_default=True,
              help="Simulated tenant: latency added to every Graph and Exchange response.")
@click.option("--fault-rate", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="Simulated tenant: share of requests answered with 429, 503 or a dropped connection.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--check", "check_ids", multiple=True, metavar="ID", help="Run only this check (repeatable).")
@click.option("--break-glass", "break_glass", multiple=True, metavar="OBJECT_ID",
              help="Emergency-access user or group id that Conditional Access policies should exclude (repeatable).")
@click.option("--output", "output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write the result to FILE instead of stdout (written whole, or not at all).")
@click.option("--brand-name", metavar="NAME", help="PDF: the name the report is branded with.")
@click.option("--brand-logo", type=click.Path(exists=True, dir_okay=False, readable=True), metavar="FILE",
              help="PDF: a PNG, JPEG or SVG logo (at most 1 MB).")
@click.option("--brand-colour", metavar="#RRGGBB", help="PDF: the brand colour.")
def scan(profile: str | None, tenant_id: str | None, users: int | None, seed: int, latency_ms: int, fault_rate: float,
         fmt: str, check_ids: tuple[str, ...], break_glass: tuple[str, ...], output: str | None,
         brand_name: str | None, brand_logo: str | None, brand_colour: str | None) -> None:
    """Scan one tenant and print the result (or write it to --output)."""
    from posture import scanning  # imported here: the scanner and simulator load only for this command
    from scanner import tune_collector_for_scans

    if bool(profile) == bool(tenant_id):
        raise click.UsageError("give exactly one of --simulate PROFILE or --tenant-id TENANT")
    if tenant_id and (users or latency_ms or fault_rate):
        raise click.UsageError("--users, --latency-ms and --fault-rate apply to --simulate only")
    if fmt != "pdf" and (brand_name or brand_logo or brand_colour):
        raise click.UsageError("--brand-name, --brand-logo and --brand-colour apply to --format pdf only")
    if fmt == "pdf" and output is None and sys.stdout.isatty():
        raise click.UsageError("a PDF is not for a terminal: give --output FILE")
    try:
        brand = scanning.report_brand(brand_name, brand_logo, brand_colour) if fmt == "pdf" else None
    except scanning.UsageProblem as exc:
        raise click.UsageError(str(exc)) from None
    try:
        checks = scanning.select_checks(check_ids or None)
    except KeyError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    request = scanning.ScanRequest(
        checks=checks, break_glass=frozenset(break_glass), show_progress=(fmt == "table" and sys.stderr.isatty()),
    )
    tune_collector_for_scans()
    try:
        if profile:
            result = asyncio.run(scanning.scan_simulated(
                request, profile=profile, users=users, seed=seed, latency_ms=latency_ms, fault_rate=fault_rate))
        else:
            result = asyncio.run(scanning.scan_microsoft(request, tenant_id=tenant_id or "", settings=load_settings()))
    except scanning.UsageProblem as exc:
        raise click.UsageError(str(exc)) from None
    except scanning.ScanFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    if result.status != "disconnected" or fmt != "pdf":  # an unreachable tenant has no report to give
        scanning.write_output(result, fmt, output, brand=brand)
    if result.status == "disconnected":
        click.echo(f"tenant unreachable: {result.error}", err=True)
        sys.exit(EXIT_DISCONNECTED)


@cli.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
@click.option("--downgrade", "down_to", metavar="REVISION", help="Downgrade to this revision instead (base: empty).")
def migrate(revision: str, down_to: str | None) -> None:
    """Bring the database up to date: tables, the application role, grants, row-level security.

    Uses POSTURE_DATABASE_URL (the owner role), or starts the embedded cluster when it is unset.
    With the PostgreSQL broker (POSTURE_BROKER_URL unset or postgresql://) it also creates the queue table.
    """
    from config import database as runtime
    from portal.db import migrate as migrations

    settings = load_settings()
    if down_to:
        url = runtime.owner_url(settings)
        migrations.downgrade(url, down_to, roles=runtime.roles(settings))
        click.echo(f"database downgraded to {down_to}", err=True)
        return
    url = runtime.migrate_database(settings, revision)
    click.echo(f"database at {migrations.current_revision(url)}", err=True)
    _say_the_embedded_server_runs(settings)


def _say_the_embedded_server_runs(settings: Settings) -> None:
    from config import database as runtime

    if runtime.embedded_cluster(settings) is not None:
        click.echo("the embedded PostgreSQL server keeps running: `posture db stop` ends it", err=True)


@cli.group()
def db() -> None:
    """The embedded PostgreSQL server (when POSTURE_DATABASE_URL is unset)."""


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server under the data folder."""
    from config import database as runtime

    cluster = runtime.embedded_cluster(load_settings())
    if cluster is None:
        click.echo("POSTURE_DATABASE_URL names a server: there is no embedded one to stop", err=True)
        return
    if not cluster.is_running():
        click.echo("the embedded PostgreSQL server is not running", err=True)
        return
    cluster.stop()
    click.echo("the embedded PostgreSQL server is stopped", err=True)


@cli.command()
@click.option("--processes", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--schedule/--no-schedule", default=True, show_default=True,
              help="Also tick the scan schedule every minute (any number of hosts may: due scans are claimed once).")
def worker(processes: int, threads: int, schedule: bool) -> None:
    """Run Dramatiq workers: scans, schedules (until interrupted)."""
    from worker.runner import run_worker

    sys.exit(run_worker(load_settings(), processes=processes, threads=threads, schedule=schedule))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Web processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Run the web portal against the configured database and broker (after `posture migrate`)."""
    import uvicorn

    # proxy_headers: behind a reverse proxy, client addresses and the scheme come from X-Forwarded-*,
    # trusted from loopback only (uvicorn's default forwarded_allow_ips).
    # No access log: paths carry single-use tokens (password resets, invitations), which must not reach logs.
    uvicorn.run("portal.web.app:create_app_from_environment", factory=True, host=host, port=port, workers=workers,
                proxy_headers=True, server_header=False, log_level="info", access_log=False)


@cli.command()
@click.option("--url", metavar="URL", help="Relay to this portal's /mcp (e.g. https://portal.example.com/mcp): "
              "the desktop then needs the token only, none of the server's settings.")
def mcp(url: str | None) -> None:
    """Serve the AI helpers' tools over stdio (Model Context Protocol), for a desktop assistant.

    Acts as the personal API token in POSTURE_TOKEN. With --url, relays to the portal's /mcp; without,
    runs the tools here, on the configured database and broker (a host you trust as the portal's).
    """
    import os

    from portal.web.assistant.stdio import TOKEN_VARIABLE, TokenRefused, serve_stdio

    token = os.environ.get(TOKEN_VARIABLE)
    if url:
        from portal.web.assistant.bridge import relay

        if not token:
            click.echo(f"posture mcp: set {TOKEN_VARIABLE} to a personal API token", err=True)
            sys.exit(2)
        relay(url, token)
        return
    from portal.web.app import runtime_from_environment

    try:
        serve_stdio(runtime_from_environment(), token)
    except TokenRefused as exc:
        click.echo(f"posture mcp: {exc}", err=True)
        sys.exit(2)


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Portal port.")
@click.option("--tenants", type=click.IntRange(1, 200), default=12, show_default=True,
              help="Simulated customers of mixed profiles.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser on the portal.")
@click.option("--once", is_flag=True, help="Exit after the first scans, the fleet summary and the logins.")
def demo(port: int, tenants: int, no_browser: bool, once: bool) -> None:
    """Run the product on embedded defaults against a simulated fleet, until interrupted."""
    from posture.demo import run_demo

    sys.exit(run_demo(load_settings(), tenants=tenants, once=once, port=port, open_browser=not no_browser))


@cli.command()
@click.option("--tenants", type=click.IntRange(1, 1000), default=12, show_default=True,
              help="Simulated tenants of mixed profiles.")
@click.option("--profile", "profiles", multiple=True, metavar="PROFILE",
              help="Instead of a mixed fleet, one tenant of each named profile (repeatable).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0: a free port.")
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--fault-rate", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True)
def sim(tenants: int, profiles: tuple[str, ...], port: int, latency_ms: int, fault_rate: float) -> None:
    """Run the Microsoft 365 simulator on loopback until interrupted, and print how to point the service at it."""
    from posture.simulator import serve

    sys.exit(serve(load_settings(), tenants=tenants, profiles=profiles, port=port, latency_ms=latency_ms,
                   fault_rate=fault_rate))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(("table", "markdown", "json")), default="table", show_default=True)
def catalogue(fmt: str) -> None:
    """List every check with its severity, licence gates and references."""
    from posture import docs

    click.echo(docs.catalogue_text(fmt), nl=False)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(("text", "markdown")), default="text", show_default=True)
def permissions(fmt: str) -> None:
    """The application permissions the service's app registration needs, from the catalogue."""
    from posture import docs

    click.echo(docs.permissions_text(fmt), nl=False)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point. Click exits 2 on usage errors."""
    try:
        return cli.main(args=argv, prog_name="posture", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
