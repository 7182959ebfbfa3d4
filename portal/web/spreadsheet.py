"""CSV exports a spreadsheet opens safely: the fleet's and the search's."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from litestar import Response

__all__ = ["csv_cell", "csv_response"]

#: Characters that make a spreadsheet read a cell as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A value for a CSV cell that a spreadsheet will show, never evaluate (numbers, a negative
    margin among them, stay numbers: only text can smuggle a formula)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_response(header: list[str], rows: Iterable[Iterable[object]], filename: str) -> Response:
    """A CSV download: the header, then each row's cells made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
