"""Regenerate the README's generated sections (check catalogue, permission list) from the code.

Run ``make docs`` (or ``python -m posture.readme``); a test fails when the README is stale, so the
documentation an MSP follows to register the app can never lag behind the catalogue.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

from posture.docs import catalogue_text, permissions_text

__all__ = ["main", "render"]

README = Path(__file__).resolve().parents[1] / "README.md"
def _catalogue() -> str:
    return catalogue_text("markdown")


def _permissions() -> str:
    return permissions_text("markdown")


_SECTIONS = {"catalogue": _catalogue, "permissions": _permissions}


def _splice(body: str, match: re.Match[str]) -> str:
    return match.group(1) + body + match.group(2)


def render(text: str) -> str:
    """``text`` with every ``<!-- generated:NAME -->...<!-- /generated:NAME -->`` block refreshed."""
    for name, produce in _SECTIONS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        body = produce()
        # A function replacement: the generated text may contain backslashes, which re.sub would interpret.
        text = pattern.sub(functools.partial(_splice, body), text)
    return text


def main() -> int:
    current = README.read_text()
    updated = render(current)
    if updated != current:
        README.write_text(updated)
        print("README.md updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
