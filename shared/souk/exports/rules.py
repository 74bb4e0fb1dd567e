"""Pure rules of exports: who may export a source, CSV cells and rows, progress, part planning.

No AWS here; ``tests/unit/exports/test_rules.py`` covers each.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB  # S3's smallest part but the last
PAGE_SIZE = 100  # rows per data page (one Query; the orders lists' largest page)
FORMULA_STARTS = ("=", "+", "-", "@")


def may_export(role: str, roles: frozenset[str]) -> bool:
    """A source declares who may ask for it (``Source.roles``: admins, and store owners for their stores' orders
    and products); an internal source is asked for by no role."""
    return role in roles


def neutralise(value: Any) -> str:
    """A CSV cell as text; one starting with ``= + - @`` gets a leading ``'`` so a spreadsheet
    shows it as text instead of running it as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_header(columns: Sequence[str]) -> bytes:
    return csv_rows([dict(zip(columns, columns, strict=True))], columns)


def csv_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    """The rows as CSV lines (RFC 4180 quoting, ``\\r\\n``), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([neutralise(row.get(column)) for column in columns])
    return out.getvalue().encode()


def json_lines(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """The rows as JSON Lines: one object a line, so parts concatenate into a valid file."""
    return b"".join(json.dumps(row, separators=(",", ":"), sort_keys=True).encode() + b"\n" for row in rows)


def encode_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], file_format: str) -> bytes:
    return csv_rows(rows, columns) if file_format == "csv" else json_lines(rows)


def progress(pages: int, *, done: bool) -> int:
    """An estimate in 0-100: no count is known upfront (a count would be a Scan), so it grows with the
    pages read, ``99 * pages / (pages + 10)``, never reaching 100 before the export is done:
    10 pages → 49, 40 → 79, 90 → 89. Done: 100."""
    if done:
        return 100
    return (99 * max(pages, 0)) // (max(pages, 0) + 10)


def part_ready(buffered: int, part_size: int = MIN_PART_SIZE) -> bool:
    """Whether the bytes buffered make a part: every part but the last must be ``part_size`` or more."""
    return buffered >= part_size


def next_part_number(parts: Sequence[Mapping[str, Any]]) -> int:
    """The number of the next part (1-based; S3 allows 1 to 10,000)."""
    return len(parts) + 1
