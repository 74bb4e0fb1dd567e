"""DynamoDB calls per request at growing table sizes: what a route costs, and whether it scales.

Every scenario is a request through :class:`infra.local.routing.Router` (the real
handler, as API Gateway would invoke it) against moto in-process, repeated at each
table size its filler writes. A route whose calls or items read grow with the table is
flagged: it is reading (or scanning) more than the page it returns, and its bill and
latency will grow with the business.

Scenarios are data: by default one per GET route of the template on a table of
unrelated filler items (that catches Scans), and :data:`EXTRA_SCENARIOS` adds ones
with their own data, e.g. catalog listing and search at 1k and 20k products, by
giving a filler that writes products and a setup that builds the request.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.ddb_calls import CallLog, count_calls
from bench.routes import concrete_path
from bench.table import fmt_int, render
from infra import template
from infra.local import aws
from infra.local.routing import Router

PREFIX = "souk-bench"
BENCH_HEADERS = {"Accept": "application/json", "User-Agent": "souk-bench"}
BATCH = 25  # BatchWriteItem's limit
# Set for the section only: no X-Ray, no INFO logs in the bench output.
_SECTION_ENV = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR"}
_LEAKS = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class Table:
    """What fillers and setups get: a low-level client on the local table, every ref, the router."""

    client: Any
    name: str
    refs: Mapping[str, str]
    router: Router
    _tokens: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    notes: list[str] = field(default_factory=list, compare=False)


Filler = Callable[[Table, int], None]
Setup = Callable[[Table], Request]
# Tried in this order by the route scenarios (None: anonymous); the first the route does not refuse wins.
ROLES: tuple[str | None, ...] = (None, "admin", "customer", "store_owner", "courier")


def batch_put(table: Table, items: Sequence[dict[str, Any]]) -> None:
    """Write items 25 at a time, retrying what DynamoDB leaves unprocessed."""
    for start in range(0, len(items), BATCH):
        pending = {table.name: [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH]]}
        while pending:
            pending = table.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def fill_unrelated(table: Table, count: int) -> None:
    """``count`` items in partitions of their own, with every GSI key set.

    No route reads them on purpose: a route whose cost grows with them is scanning.
    """
    items = [
        {
            "pk": {"S": f"BENCH#FILLER#{i:06d}"},
            "sk": {"S": "FILLER"},
            "entity": {"S": "BenchFiller"},
            **{f"gsi{n}pk": {"S": f"BENCH#FILLER#{i % 16}"} for n in (1, 2, 3)},
            **{f"gsi{n}sk": {"S": f"{i:06d}"} for n in (1, 2, 3)},
        }
        for i in range(count)
    ]
    batch_put(table, items)


@dataclass(frozen=True)
class Scenario:
    """One request measured at several table sizes.

    ``fill(table, size)`` writes the data set for a size (scenarios sharing a filler and
    size share one table); ``setup(table)`` adds what this request needs (a user, a
    token) and returns the request.
    """

    name: str
    setup: Setup
    fill: Filler = fill_unrelated
    sizes: tuple[int, ...] = (0, 2_000)
    # A layer function no route exposes yet, measured instead of the request (setup's request
    # only names it); ``bound`` is the items it may read by design: within it, "bounded", not "GROWS".
    invoke: Callable[[Table], int] | None = None
    bound: int | None = None


def sign_in(table: Table, role: str) -> dict[str, str]:
    """Authorization headers of an active user of ``role`` with a live session (one per table).

    Written straight into the table with the identity models, so it costs no request.
    If the identity code cannot do it (it changed shape), the bench goes on anonymously
    and says so, rather than failing every scenario.
    """
    if role not in table._tokens:
        try:
            table._tokens[role] = _new_session_token(role)
        except Exception as exc:
            table.notes.append(f"could not sign in as {role} ({type(exc).__name__}: {exc}); called anonymously")
            table._tokens[role] = ""
    token = table._tokens[role]
    return {"Authorization": f"Bearer {token}"} if token else {}


def _new_session_token(role: str) -> str:
    from souk.identity import keys
    from souk.identity.models import User
    from souk.identity.schemas.sessions import Client
    from souk.identity.service.sessions import start_session
    from souk.ids import new_id

    user_id = new_id()
    user = User(
        pk=keys.user(user_id),
        sk=keys.PROFILE,
        user_id=user_id,
        email=f"bench-{role}@souk.bench",
        name=f"Bench {role}",
        role=role,
        status="active",
    )
    user.save()
    return start_session(user, Client(ip="127.0.0.1", user_agent="souk-bench")).access_token


def route_scenario(method: str, path: str) -> Scenario:
    """The template route with made-up ids, called as the first of :data:`ROLES` it does not refuse (401/403)."""

    def setup(table: Table) -> Request:
        request = Request(method, concrete_path(path), headers=BENCH_HEADERS)
        for role in ROLES:
            headers = {**BENCH_HEADERS, **(sign_in(table, role) if role else {})}
            request = Request(method, concrete_path(path), headers=headers)
            if send(table.router, request) not in (401, 403):
                break
        return request

    return Scenario(f"{method} {path}", setup)


def template_scenarios() -> list[Scenario]:
    return [route_scenario(r.method, r.path) for r in template.routes() if r.method == "GET"]


# Scenarios with their own data (catalog listing and search at 1k and 20k products...).
# One named like a template route ("GET /api/v1/products") replaces that route's default.
EXTRA_SCENARIOS: list[Scenario] = []


def scenarios() -> list[Scenario]:
    from bench.catalog import SCENARIOS as CATALOG  # imported here: bench.catalog imports this module
    from bench.delivery import SCENARIOS as DELIVERY  # the same

    chosen = {s.name: s for s in template_scenarios()}
    chosen.update({s.name: s for s in [*EXTRA_SCENARIOS, *CATALOG, *DELIVERY]})
    return list(chosen.values())


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    size: int
    status: int
    calls: CallLog
    caller: str = "anonymous"


@contextlib.contextmanager
def _section_environment() -> Iterator[None]:
    """The functions' environment for the section, the caller's restored afterwards."""
    saved = dict(os.environ)
    for key in _LEAKS:
        os.environ.pop(key, None)
    os.environ.update({**aws.LOCAL_CREDENTIALS, **_SECTION_ENV})
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No application metrics to publish")
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def local_table(router: Router) -> Iterator[Table]:
    """A fresh moto account with the template's resources, the environment pointing at it."""
    import boto3
    from moto import mock_aws

    from souk.db.base import configure
    from souk.settings import get_settings

    with mock_aws():
        refs = aws.create_resources(prefix=PREFIX)
        # Same names every time: handlers read the table name once, at import.
        os.environ.update(aws.function_environment(refs))
        get_settings.cache_clear()
        table_id = next(iter(template.resources("AWS::DynamoDB::Table")))
        # The models read the table's name at import: a scenario module may have imported them already.
        configure(host=None, table_name=refs[table_id])
        yield Table(boto3.client("dynamodb", region_name=aws.REGION), refs[table_id], refs, router)


def send(router: Router, request: Request) -> int:
    # Handlers may print EMF metrics or logs to stdout; keep the bench's output clean.
    with contextlib.redirect_stdout(io.StringIO()):
        response = router.handle(
            request.method, request.path, query=request.query, headers=dict(request.headers), body=request.body
        )
    return response.status


def measure_request(router: Router, request: Request) -> tuple[int, CallLog]:
    """Calls of the second identical request: the first one loads the handler and its caches."""
    send(router, request)
    with count_calls() as calls:
        status = send(router, request)
    return status, calls


def measure_call(invoke: Callable[[Table], int], table: Table) -> tuple[int, CallLog]:
    """Calls of the second identical call, as :func:`measure_request`."""
    invoke(table)
    with count_calls() as calls:
        status = invoke(table)
    return status, calls


@dataclass(frozen=True)
class DdbReport:
    results: list[Result]
    notes: list[str]


def run(chosen: Sequence[Scenario] | None = None, *, progress: Callable[[str], None] | None = None) -> DdbReport:
    """Every scenario at each of its sizes; one table per (filler, size), shared by its scenarios."""
    chosen = list(chosen if chosen is not None else scenarios())
    groups: dict[tuple[Filler, int], list[Scenario]] = {}
    for scenario in chosen:
        for size in scenario.sizes:
            groups.setdefault((scenario.fill, size), []).append(scenario)
    results: list[Result] = []
    notes: list[str] = []
    router = Router()
    with _section_environment():
        for (fill, size), members in groups.items():
            with local_table(router) as table:
                fill(table, size)
                for scenario in members:
                    request = scenario.setup(table)
                    if scenario.invoke is not None:
                        status, calls = measure_call(scenario.invoke, table)
                    else:
                        status, calls = measure_request(router, request)
                    results.append(Result(scenario, size, status, calls, caller_of(table, request)))
                notes.extend(n for n in table.notes if n not in notes)
            if progress is not None:
                progress(f"DynamoDB calls: {getattr(fill, '__name__', 'fill')}({size:,}) done")
    return DdbReport(results, notes)


def caller_of(table: Table, request: Request) -> str:
    """Which signed-in role a request carries, for the table."""
    header = request.headers.get("Authorization", "")
    return next((role for role, token in table._tokens.items() if token and header.endswith(token)), "anonymous")


# ---------------------------------------------------------------- output


def verdict(by_size: Sequence[Result]) -> str:
    """``ERROR`` if any request answers 5xx (its calls measure nothing), ``SCAN`` if any request scans,
    ``bounded`` if items read stay within the scenario's ``bound``, ``GROWS`` if calls or items read rise
    with the table, else ``flat``."""
    ordered = sorted(by_size, key=lambda r: r.size)
    if any(r.status >= 500 for r in ordered):
        return "ERROR"
    if any(r.calls.scans for r in ordered):
        return "SCAN"
    bound = ordered[0].scenario.bound
    if bound is not None and all(r.calls.items_read <= bound for r in ordered):
        return "bounded"
    smallest, largest = ordered[0].calls, ordered[-1].calls
    if largest.total > smallest.total or largest.items_read > smallest.items_read:
        return "GROWS"
    return "flat"


def grouped(results: Sequence[Result]) -> dict[str, list[Result]]:
    by_scenario: dict[str, list[Result]] = {}
    for result in results:
        by_scenario.setdefault(result.scenario.name, []).append(result)
    return {name: sorted(rs, key=lambda r: r.size) for name, rs in by_scenario.items()}


def render_report(report: DdbReport) -> str:
    """One row per scenario; each cell lists its value per table size, smallest first."""
    headers = [
        "scenario",
        "caller",
        "table items",
        "status",
        "DynamoDB calls",
        "items read",
        "operations (largest)",
        "verdict",
    ]
    rows = []
    flagged: list[str] = []
    for name, rs in grouped(report.results).items():
        outcome = verdict(rs)
        if outcome not in ("flat", "bounded"):
            flagged.append(f"{name} ({outcome})")
        rows.append(
            [
                name,
                rs[-1].caller,
                _per_size(rs, lambda r: fmt_int(r.size)),
                _per_size(rs, lambda r: r.status),
                _per_size(rs, lambda r: r.calls.total),
                _per_size(rs, lambda r: r.calls.items_read),
                rs[-1].calls.describe(),
                outcome,
            ]
        )
    outcome_text = (
        "findings: " + "; ".join(flagged) if flagged else "every one flat (or within its bound) as the table grows"
    )
    summary = f"Summary: {len(rows)} scenarios; {outcome_text}."
    notes = "".join(f"\nNote: {note}" for note in report.notes)
    return render(headers, rows) + "\n\n" + summary + notes


def _per_size(results: Sequence[Result], value: Callable[[Result], object]) -> str:
    return " / ".join(str(value(r)) for r in results)


def flagged(results: Sequence[Result]) -> list[str]:
    return [name for name, rs in grouped(results).items() if verdict(rs) not in ("flat", "bounded")]
