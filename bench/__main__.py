"""``make bench``: cold starts per function, then DynamoDB calls per request.

Tables go to stdout in Markdown (paste them into the README); progress goes to stderr.
``--strict`` turns findings (a heavy import where it is not used, a route that answers 5xx,
scans or whose cost grows with the table, a cold-start goal missed) into a non-zero exit, for CI jobs that
want to gate on them. ``--quick`` is for iterating: cold starts only, 3 runs, e.g.
``make bench BENCH_ARGS="--quick --only 'System*,CommerceOrderCreate*'"``;
``--importtime <LogicalId>`` shows where one handler's import time goes.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime

from bench import checkout, cold, cold_report, ddb, importtime


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold starts per function and reference (default 7)")
    parser.add_argument(
        "--min-runs", type=int, default=3, help="fewest cold starts per function when the budget is short (default 3)"
    )
    parser.add_argument("--no-budget", action="store_true", help="all --runs for every function, however long")
    parser.add_argument(
        "--only", help="cold starts only for functions matching these fnmatch patterns, e.g. 'System*,*Login*'"
    )
    parser.add_argument("--quick", action="store_true", help="cold starts only, 3 runs, FastAPI on 1 route")
    parser.add_argument(
        "--source-only", action="store_true", help="the layer without its bytecode (make build ships bytecode)"
    )
    parser.add_argument("--importtime", metavar="LOGICAL_ID", help="only: where this function's import time goes")
    parser.add_argument(
        "--fastapi-sample", type=int, default=4, help="routes the FastAPI monolith is timed on (its cost hardly varies)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=150.0,
        help="seconds the cold-start section should take; over it, cold starts run in parallel",
    )
    parser.add_argument("--skip-cold", action="store_true", help="leave out the cold-start section")
    parser.add_argument("--skip-ddb", action="store_true", help="leave out the DynamoDB calls section")
    parser.add_argument("--skip-checkout", action="store_true", help="leave out the checkout write-cost section")
    parser.add_argument("--strict", action="store_true", help="exit 1 on findings (heavy imports, growing routes)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.min_runs, args.fastapi_sample = min(args.runs, 3), min(args.min_runs, 3), 1
        args.skip_ddb = args.skip_checkout = True
    if min(args.runs, args.min_runs, args.fastapi_sample) < 1:
        parser.error("--runs, --min-runs and --fastapi-sample must be at least 1")
    return args


def machine() -> str:
    """Where the numbers come from: they mean little without it."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
        f"load average {load:.1f} at start"
    )


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.importtime:
        stderr = cold.import_profile(args.importtime, bytecode=not args.source_only)
        print(importtime.render(args.importtime, importtime.parse(stderr)))
        return 0
    started = time.monotonic()
    findings: list[str] = []
    broken: list[tuple[str, str]] = []
    timings: list[str] = []
    print(f"# Souk benchmarks ({machine()})\n")
    if not args.skip_cold:
        report = cold.run(
            runs=args.runs,
            min_runs=args.min_runs,
            only=args.only,
            fastapi_sample=args.fastapi_sample,
            budget_seconds=None if args.no_budget else args.budget,
            bytecode=not args.source_only,
            progress=progress,
        )
        print(
            "## Cold start in the Lambda environment: import the handler and resolve one event, "
            "fresh process each run, CPU time\n"
        )
        print(cold_report.render_report(report) + "\n")
        timings.append(f"cold starts {time.monotonic() - started:.0f} s")
        unexpected = cold_report.unexpected_by_function(report)
        findings += [f"{name}: heavy import {', '.join(bad)}" for name, bad in unexpected]
        findings += [
            f"cold-start goal missed: {g.name} {g.value:.2f}x (target {g.limit:.2f}x)"
            for g in cold_report.goals(report)
            if not g.met
        ]
        broken = cold_report.failed(report)
    if not args.skip_ddb:
        section_started = time.monotonic()
        calls = ddb.run(progress=progress)
        print("## DynamoDB calls per request (moto, second identical request), by table size\n")
        print(ddb.render_report(calls) + "\n")
        found = ddb.flagged(calls.results)
        findings += [f"{name}: a 5xx, a Scan, or a cost that grows with the table" for name in found]
        timings.append(f"DynamoDB calls {time.monotonic() - section_started:.0f} s")
    if not args.skip_checkout:
        section_started = time.monotonic()
        cost = checkout.run(progress=progress)
        print("## Checkout write cost (moto, WCU from item sizes: 2 per KB per item in a transaction)\n")
        print(checkout.render_report(cost) + "\n")
        timings.append(f"checkout {time.monotonic() - section_started:.0f} s")
    print(f"Total bench time: {time.monotonic() - started:.0f} s ({', '.join(timings)}).")
    if broken:
        # A function that cannot even start is a failure, not a finding.
        print("Could not cold-start:\n" + "\n".join(f"- {name}: {why}" for name, why in broken), file=sys.stderr)
        return 1
    if findings and args.strict:
        print("Findings:\n" + "\n".join(f"- {f}" for f in findings), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
