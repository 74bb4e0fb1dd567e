"""The cold-start table, the goals it is held to, and the rule on heavy imports it checks.

Separate from :mod:`bench.cold` so the formatting and the rules can be unit-tested
without starting a single process. Ratios are taken on CPU time (import plus first
request, median of the samples), against the floor measured in the same run: CPU time
is what a busy two-core machine disturbs least, and the same run cancels its speed.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
    "import cpu ms",
    "request cpu ms",
    "cpu ms",
    "cpu p90",
    "wall ms",
    "modules",
    "x floor",
    "x FastAPI",
    "heavy imports",
]
NUMERIC_COLUMNS = (3, 4, 5, 6, 7, 8, 9, 10)


def _row(m: Measurement, floor: float, fastapi_cell: str, heavy_cell: str) -> list[str]:
    return [
        m.target.label,
        m.target.route or "-",
        m.last.status,
        fmt_ms(m.import_cpu_ms),
        fmt_ms(m.call_cpu_ms),
        fmt_ms(m.cpu_ms),
        fmt_ms(m.cpu.p90),
        fmt_ms(m.total.median),
        fmt_int(m.last.modules),
        fmt_ratio(ratio(m.cpu_ms, floor)),
        fastapi_cell,
        heavy_cell,
    ]


def _fastapi_cell(report: ColdReport, m: Measurement) -> str:
    reference, exact = report.fastapi_for(m.target.route)
    cell = fmt_ratio(ratio(m.cpu_ms, reference))
    # "~": against the monolith's median over the sampled routes, not this very route.
    return cell if exact or cell == MISSING else "~" + cell


def _heavy_cell(m: Measurement) -> str:
    heavy = heavy_imports(m.last.packages)
    bad = unexpected_heavy(m.target.function, m.last.packages) if m.target.function is not None else []
    return ", ".join(f"{h} (!)" if h in bad else h for h in heavy) or "none"


def _failed_row(m: Measurement) -> list[str]:
    return [m.target.label, m.target.route or "-", f"FAILED: {m.error}", *([MISSING] * (len(HEADERS) - 3))]


def render_report(report: ColdReport) -> str:
    """One row per function, then the reference rows, then a summary line and the goals."""
    floor = report.floor.cpu_ms
    rows = [
        _failed_row(m) if m.error else _row(m, floor, _fastapi_cell(report, m), _heavy_cell(m))
        for m in report.functions
    ]
    rows += [_row(m, floor, MISSING, _heavy_cell(m)) for m in [report.floor, *report.fastapi.values()]]
    table = render(HEADERS, rows, align_right=NUMERIC_COLUMNS)
    return table + "\n\n" + summary_line(report) + "\n\n" + render_goals(goals(report))


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
    medians = [m.cpu_ms for m in report.functions if m.error is None]
    if not medians:
        return "Summary: no function could be measured."
    floor = report.floor.cpu_ms
    fastapi = median([m.cpu_ms for m in report.fastapi.values()]) if report.fastapi else None
    bad = dict(unexpected_by_function(report))
    parts = [
        f"Summary: {len(medians)} functions ({_runs_text(report)}); median cold start {fmt_ms(median(medians))} ms "
        f"CPU (fastest {fmt_ms(min(medians))}, slowest {fmt_ms(max(medians))})",
        f"{fmt_ratio(ratio(median(medians), floor))} the floor ({fmt_ms(floor)} ms)",
    ]
    if fastapi is not None:
        parts.append(f"{fmt_ratio(ratio(median(medians), fastapi))} FastAPI+Mangum ({fmt_ms(fastapi)} ms)")
    parts.append("layer with unchecked-hash bytecode" if report.bytecode else "layer from source (--source-only)")
    if report.plan.jobs > 1:
        parts.append(f"{report.plan.jobs} cold starts ran at once to fit the time budget (every sample a bit slower)")
    if failed(report):
        parts.append(f"{len(failed(report))} could not start: " + ", ".join(name for name, _ in failed(report)))
    parts.append("unexpected heavy imports: " + ("; ".join(f"{k}: {', '.join(v)}" for k, v in bad.items()) or "none"))
    return "; ".join(parts) + "."


# ---------------------------------------------------------------- goals (issue 11)

ROUTE_MEDIAN_LIMIT = 1.5  # median of the API routes, x the floor
SYSTEM_LIMIT = 1.15  # health and version, x the floor
ANY_LIMIT = 1.8  # every function, x the floor
FASTAPI_MIN = 1.5  # the monolith's median over ours, at least
SYSTEM_FUNCTIONS = ("HealthFunction", "VersionFunction")


@dataclass(frozen=True)
class Goal:
    name: str
    value: float  # on medians: what the verdict is on
    limit: float
    at_most: bool  # True: value <= limit; False: value >= limit
    detail: str = ""
    fastest: float | None = None  # the same ratio on each target's least disturbed run

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit


def _ratios(report: ColdReport, cpu: Callable[[Measurement], float]) -> list[tuple[str, float, str]]:
    """(goal, value, note) with every CPU time read by ``cpu``; only what the run can judge."""
    floor = cpu(report.floor) if report.floor.samples else 0.0
    measured = [m for m in report.functions if m.error is None]
    if floor <= 0 or not measured:
        return []
    found: list[tuple[str, float, str]] = []
    routes = [m for m in measured if m.target.route is not None]
    if routes:
        route_median = median([cpu(m) for m in routes])
        found.append((f"median of {len(routes)} routes", route_median / floor, ""))
        if report.fastapi:
            fastapi = median([cpu(m) for m in report.fastapi.values()])
            found.append(("FastAPI+Mangum / our route median", fastapi / route_median, ""))
    found += [(m.target.label, cpu(m) / floor, "") for m in measured if m.target.key in SYSTEM_FUNCTIONS]
    slowest = max(measured, key=cpu)
    over = sum(1 for m in measured if cpu(m) / floor > ANY_LIMIT)
    found.append(("slowest function", cpu(slowest) / floor, f"{slowest.target.label}; {over} over the limit"))
    return found


def _limit(name: str) -> tuple[float, bool]:
    if name.startswith("median of"):
        return ROUTE_MEDIAN_LIMIT, True
    if name.startswith("FastAPI"):
        return FASTAPI_MIN, False
    if name in SYSTEM_FUNCTIONS:
        return SYSTEM_LIMIT, True
    return ANY_LIMIT, True


def goals(report: ColdReport) -> list[Goal]:
    """The cold-start goals, judged on medians, each with the same ratio on the fastest runs."""
    fastest = {name: value for name, value, _ in _ratios(report, lambda m: m.cpu_min_ms)}
    found = []
    for name, value, note in _ratios(report, lambda m: m.cpu_ms):
        limit, at_most = _limit(name)
        found.append(Goal(name, value, limit, at_most, note, fastest.get(name)))
    return found


def render_goals(found: Sequence[Goal]) -> str:
    if not found:
        return "Goals: nothing measured."
    rows = [
        [g.name, fmt_ratio(g.value), ("<= " if g.at_most else ">= ") + fmt_ratio(g.limit),
         "met" if g.met else f"missed by {abs(g.value - g.limit):.2f}x", fmt_ratio(g.fastest), g.detail or "-"]
        for g in found
    ]  # fmt: skip
    headers = ["goal", "this run (medians)", "target", "verdict", "on the fastest runs", "note"]
    return render(headers, rows, align_right=(1, 4))
