"""The cold-start table, and the rule on heavy imports it checks.

Separate from :mod:`bench.cold` so the formatting and the rule can be unit-tested
without starting a single process.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from bench.cold import ColdReport, Measurement
from bench.stats import median, ratio
from bench.table import MISSING, fmt_int, fmt_ms, fmt_ratio, render
from infra import template

# Packages too heavy to load in a function that does not use them (STYLE.md, habit 10).
HEAVY_PACKAGES = ("stripe", "sendgrid", "argon2")
# Which functions may load each one: fnmatch patterns over "<LogicalId> <CodeUri>",
# lower-cased. Extend when a new function really needs one at start-up.
HEAVY_USERS: dict[str, tuple[str, ...]] = {
    "stripe": (
        "*stripe*",
        "*payment*",
        "*payout*",
        "*refund*",
        "*checkout*",
        "*top*up*",
        "*subscription*",
        "*webhook*",
    ),
    "sendgrid": ("*email*",),
    "argon2": ("*register*", "*login*", "*password*", "*2fa*", "*mfa*", "*twofactor*"),
}


def heavy_imports(packages: Sequence[str]) -> list[str]:
    return [name for name in HEAVY_PACKAGES if name in packages]


def unexpected_heavy(function: template.Function, packages: Sequence[str]) -> list[str]:
    """Heavy packages a function loaded although nothing about it says it uses them."""
    subject = f"{function.logical_id} {function.code_uri}".lower()
    return [
        name
        for name in heavy_imports(packages)
        if not any(fnmatch.fnmatch(subject, p) for p in HEAVY_USERS.get(name, ()))
    ]


HEADERS = [
    "function",
    "trigger",
    "status",
    "median ms",
    "p90 ms",
    "import ms",
    "cpu ms",
    "modules",
    "x boto3",
    "x FastAPI",
    "heavy imports",
]
NUMERIC_COLUMNS = (3, 4, 5, 6, 7, 8, 9)


def _row(m: Measurement, floor: float, fastapi_cell: str, heavy_cell: str) -> list[str]:
    return [
        m.target.label,
        m.target.route or "-",
        m.last.status,
        fmt_ms(m.total.median),
        fmt_ms(m.total.p90),
        fmt_ms(m.import_ms),
        fmt_ms(m.cpu_ms),
        fmt_int(m.last.modules),
        fmt_ratio(ratio(m.total.median, floor)),
        fastapi_cell,
        heavy_cell,
    ]


def _fastapi_cell(report: ColdReport, m: Measurement) -> str:
    reference, exact = report.fastapi_for(m.target.route)
    cell = fmt_ratio(ratio(m.total.median, reference))
    # "~": against the monolith's median over the sampled routes, not this very route.
    return cell if exact or cell == MISSING else "~" + cell


def _heavy_cell(m: Measurement) -> str:
    heavy = heavy_imports(m.last.packages)
    bad = unexpected_heavy(m.target.function, m.last.packages) if m.target.function is not None else []
    return ", ".join(f"{h} (!)" if h in bad else h for h in heavy) or "none"


def _failed_row(m: Measurement) -> list[str]:
    return [m.target.label, m.target.route or "-", f"FAILED: {m.error}", *([MISSING] * (len(HEADERS) - 3))]


def render_report(report: ColdReport) -> str:
    """One row per function, then the reference rows, then a summary line."""
    floor = report.floor.total.median
    rows = [
        _failed_row(m) if m.error else _row(m, floor, _fastapi_cell(report, m), _heavy_cell(m))
        for m in report.functions
    ]
    rows += [_row(m, floor, MISSING, _heavy_cell(m)) for m in [report.floor, *report.fastapi.values()]]
    return render(HEADERS, rows, align_right=NUMERIC_COLUMNS) + "\n\n" + summary_line(report)


def unexpected_by_function(report: ColdReport) -> list[tuple[str, list[str]]]:
    """(function, heavy packages it loaded without using them), offenders only."""
    found = [
        (m.target.label, unexpected_heavy(m.target.function, m.last.packages))
        for m in report.functions
        if m.target.function is not None and m.error is None
    ]
    return [(name, bad) for name, bad in found if bad]


def failed(report: ColdReport) -> list[tuple[str, str]]:
    """(function, error) for every function that could not cold-start."""
    return [(m.target.label, m.error) for m in report.functions if m.error]


def _runs_text(report: ColdReport) -> str:
    p = report.plan
    if p.function_runs == p.reference_runs:
        return f"{p.function_runs} runs each"
    return f"{p.function_runs} runs each to fit the time budget, references {p.reference_runs}"


def summary_line(report: ColdReport) -> str:
    medians = [m.total.median for m in report.functions if m.error is None]
    if not medians:
        return "Summary: no function could be measured."
    floor = report.floor.total.median
    fastapi = median([m.total.median for m in report.fastapi.values()]) if report.fastapi else None
    bad = dict(unexpected_by_function(report))
    parts = [
        f"Summary: {len(medians)} functions ({_runs_text(report)}); median cold start {fmt_ms(median(medians))} ms "
        f"(fastest {fmt_ms(min(medians))}, slowest {fmt_ms(max(medians))})",
        f"{fmt_ratio(ratio(median(medians), floor))} the boto3 floor ({fmt_ms(floor)} ms)",
    ]
    if fastapi is not None:
        parts.append(f"{fmt_ratio(ratio(median(medians), fastapi))} FastAPI+Mangum ({fmt_ms(fastapi)} ms)")
    if report.plan.jobs > 1:
        parts.append(f"{report.plan.jobs} cold starts ran at once to fit the time budget (every sample a bit slower)")
    if failed(report):
        parts.append(f"{len(failed(report))} could not start: " + ", ".join(name for name, _ in failed(report)))
    parts.append("unexpected heavy imports: " + ("; ".join(f"{k}: {', '.join(v)}" for k, v in bad.items()) or "none"))
    return "; ".join(parts) + "."
