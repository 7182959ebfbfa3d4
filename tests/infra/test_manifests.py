"""The deployment files: they parse, every command they run is one the CLI has (with options it
takes), the probes ask routes the app serves, and secrets are files, never environment values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from posture.cli import cli

INFRA = Path(__file__).resolve().parents[2] / "infra"
COMPOSE = INFRA / "compose.yaml"
KUBERNETES = sorted((INFRA / "kubernetes").glob("*.yaml"))


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _containers() -> list[tuple[str, dict[str, Any]]]:
    """(where, container) for every container of the Kubernetes files and every compose service."""
    found = [(f"compose:{name}", service) for name, service in _documents(COMPOSE)[0]["services"].items()]
    for path in KUBERNETES:
        for document in _documents(path):
            spec = document.get("spec", {}).get("template", {}).get("spec", {})
            found += [(f"{path.name}:{c['name']}", c) for c in spec.get("containers", [])]
    return found


COMMANDS = [(where, c["command"]) for where, c in _containers() if c.get("command", [None])[0] == "posture"]


def test_the_files_hold_every_part() -> None:
    services = set(_documents(COMPOSE)[0]["services"])
    assert {"postgres", "rabbitmq", "mail", "migrate", "web", "worker", "scheduler"} <= services
    kinds = {(d["kind"], d["metadata"]["name"]) for p in KUBERNETES for d in _documents(p) if "metadata" in d}
    assert {("Job", "posture-migrate"), ("Deployment", "posture-web"), ("Deployment", "posture-worker"),
            ("Deployment", "posture-scheduler")} <= kinds
    assert len(COMMANDS) == 8  # migrate, web, worker and scheduler, in both


@pytest.mark.parametrize(("where", "command"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_every_command_is_one_the_cli_has(where: str, command: list[str]) -> None:
    subcommand = cli.commands.get(command[1])
    assert isinstance(subcommand, click.Command), f"{where}: posture {command[1]} does not exist"
    known = {opt for param in subcommand.params for opt in (*param.opts, *param.secondary_opts)}
    given = [arg for arg in command[2:] if arg.startswith("--")]
    assert set(given) <= known, f"{where}: unknown options {set(given) - known}"
    context = subcommand.make_context(command[1], list(command[2:]), resilient_parsing=False)  # values parse
    assert context.params


def test_probes_ask_routes_the_app_serves(web_engine) -> None:
    paths = {route.path for route in create_app(WebRuntime(engine=web_engine)).routes}
    probes = [c[key]["httpGet"]["path"] for p in KUBERNETES for d in _documents(p)
              for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
              for key in ("livenessProbe", "readinessProbe") if key in c]
    assert sorted(probes) == ["/healthz", "/readyz"] and set(probes) <= paths


def test_no_secret_is_an_environment_value() -> None:
    secret_words = ("PASSWORD", "SECRET", "DATABASE_URL", "BROKER_URL", "SCOPE_KEY")

    def secret(name: str) -> bool:  # a value that is a secret; a path to one (…_FILE, …_DIR) is fine
        return any(w in name for w in secret_words) and not name.endswith(("_FILE", "_DIR"))

    for where, container in _containers():
        environment = container.get("environment") or {e["name"]: e.get("value") for e in container.get("env", [])}
        leaked = [name for name in environment if secret(name)]
        assert leaked == [], f"{where} puts secrets in its environment: {leaked}"
    config = next(d for d in _documents(INFRA / "kubernetes" / "config.yaml") if d["kind"] == "ConfigMap")
    assert not [k for k in config["data"] if secret(k)]
