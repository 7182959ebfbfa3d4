"""Text people type into forms, checked before it is stored: no control characters, a length limit.

PostgreSQL's ``text`` refuses NUL outright (a 500 where the form owes a 400), and no name, tag or
address needs a control character; a line break is allowed only where the field has lines.
"""

from __future__ import annotations

from portal.services.errors import InvalidInput

__all__ = ["plain_line", "plain_lines"]


def _controls(value: str, allowed: str = "") -> bool:
    return any((ord(c) < 32 or 127 <= ord(c) < 160) and c not in allowed for c in value)


def plain_line(value: str, what: str, *, max_length: int, required: bool = True) -> str:
    """``value`` with its spaces collapsed, if it is one line of printable text.

    Raises:
        InvalidInput: control characters, too long, or empty when ``required``; the message names ``what``.
    """
    if _controls(value, "\t"):
        raise InvalidInput(f"{what} cannot hold control characters")
    line = " ".join(value.split())
    if required and not line:
        raise InvalidInput(f"give the {what}")
    if len(line) > max_length:
        raise InvalidInput(f"the {what} is at most {max_length} characters")
    return line


def plain_lines(value: str, what: str, *, max_length: int) -> str:
    """``value`` trimmed, if it is printable text in lines (tabs and line breaks allowed).

    Raises:
        InvalidInput: other control characters, or too long.
    """
    if _controls(value, "\t\n\r"):
        raise InvalidInput(f"{what} cannot hold control characters")
    text = value.strip()
    if len(text) > max_length:
        raise InvalidInput(f"the {what} is at most {max_length} characters")
    return text
