"""Plain-text tables in Markdown pipe syntax, so ``make bench`` output pastes into the README."""

from __future__ import annotations

from collections.abc import Sequence

MISSING = "-"


def fmt_ms(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.0f}"


def fmt_ratio(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}x"


def fmt_int(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], *, align_right: Sequence[int] = ()) -> str:
    """A Markdown table with columns padded to their widest cell.

    Padding keeps it readable in a terminal; the pipes keep it valid Markdown.
    ``align_right`` lists the column indexes holding numbers.
    """
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, expected {len(headers)}: {row!r}")
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    right = set(align_right)

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
