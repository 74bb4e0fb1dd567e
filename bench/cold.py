"""Cold starts: every function of the template, each in a fresh interpreter, against references.

What is timed is what a Lambda cold start runs in Python: loading ``handler.py`` by path
(its directory first on sys.path, the layer after it, as /var/task and /opt/python) and
resolving one event. Interpreter start-up is left out: Lambda's runtime pays it before
our code, the same for every function. Two references are timed the same way: the floor
``import boto3; boto3.client('dynamodb')`` (no Python Lambda that talks to DynamoDB
starts faster) and a FastAPI + Mangum monolith serving the same route
(:mod:`bench.fastapi_app`).

Every process gets the environment Lambda gives the function (:func:`lambda_environment`):
the runtime's variables (``LAMBDA_TASK_ROOT``, ``AWS_LAMBDA_FUNCTION_NAME``,
``AWS_EXECUTION_ENV``, ``_HANDLER``, an X-Ray trace header since tracing is active) and
the template's Globals and function environment with local values. Powertools decides
from those whether it runs in Lambda (the Tracer patches and traces only there), so
without them it would take a path Lambda never runs.

Code is laid out as deployed: the handler's folder is copied without ``__pycache__``
(``/var/task`` is read-only and ``sam build`` ships no bytecode for it, so ``handler.py``
is compiled at every cold start), and the layer copy gets unchecked-hash bytecode as
``make build`` ships it (Makefile, build-SoukLayer); ``--source-only`` leaves it out.
The dependencies come from the venv with the bytecode pip wrote. AWS calls made by the
first request go to a moto server on localhost, so a route that checks its dependencies
(health) answers 200 with real round trips.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import math
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.routes import concrete_path, path_parameters
from bench.stats import Summary, median
from infra import template
from infra.local import aws
from infra.local.events import api_event, schedule_event, sqs_event

ROOT = template.ROOT
CHILD = Path(__file__).resolve().parent / "cold_child.py"
FASTAPI_APP = Path(__file__).resolve().parent / "fastapi_app.py"
CHILD_TIMEOUT_SECONDS = 60
# Every ratio divides by the floor, a short process that a busy moment of the machine
# moves more than a long one: it is sampled this many times per round, spread over it.
FLOOR_SAMPLES_PER_ROUND = 3
BENCH_HEADERS = {"Accept": "application/json", "Host": "api.souk.bench", "User-Agent": "souk-bench"}


@dataclass(frozen=True)
class Target:
    """One thing to cold-start: a function, the floor, or the FastAPI monolith on a route."""

    key: str
    label: str
    group: str  # "souk" | "floor" | "fastapi"
    spec: dict[str, Any] = field(hash=False, compare=False)
    route: str | None = None  # "GET /api/health", for pairing a function with its FastAPI twin
    function: template.Function | None = field(default=None, hash=False, compare=False)
    environment: dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # over the shared one


class ChildFailed(RuntimeError):
    """A cold start that crashed (an import error in a handler, a handler that raised)."""

    def __init__(self, label: str, returncode: int, stderr: str) -> None:
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        self.reason = (lines[-1] if lines else f"exit {returncode}")[:100]
        super().__init__(f"{label} failed (exit {returncode}):\n{stderr[-2000:]}")


@dataclass(frozen=True)
class Sample:
    total_ms: float
    import_ms: float
    call_ms: float
    cpu_ms: float  # CPU time of the same span: steadier than wall time on a busy machine
    import_cpu_ms: float  # CPU time of the import alone
    modules: int
    packages: tuple[str, ...]
    status: str

    @classmethod
    def parse(cls, stdout: str) -> Sample:
        """The report line the child printed last (the handler may log above it)."""
        lines = [line for line in stdout.splitlines() if line.startswith("BENCH-RESULT ")]
        if not lines:
            raise ValueError(f"no result from the child process; output ended with: {stdout[-500:]!r}")
        raw = json.loads(lines[-1].removeprefix("BENCH-RESULT "))
        return cls(
            raw["total_ms"],
            raw["import_ms"],
            raw["call_ms"],
            raw["cpu_ms"],
            raw["import_cpu_ms"],
            raw["modules"],
            tuple(raw["packages"]),
            raw["status"],
        )


@dataclass
class Measurement:
    target: Target
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None  # why it could not be measured; then there are no samples

    @property
    def total(self) -> Summary:
        return Summary.of([s.total_ms for s in self.samples])

    @property
    def import_ms(self) -> float:
        return median([s.import_ms for s in self.samples])

    @property
    def cpu(self) -> Summary:
        """CPU time of import plus first request: what the ratios are taken on."""
        return Summary.of([s.cpu_ms for s in self.samples])

    @property
    def cpu_ms(self) -> float:
        return self.cpu.median

    @property
    def cpu_min_ms(self) -> float:
        """The least disturbed run: on a shared machine, interference only ever adds time."""
        return min(s.cpu_ms for s in self.samples)

    @property
    def import_cpu_ms(self) -> float:
        return median([s.import_cpu_ms for s in self.samples])

    @property
    def call_cpu_ms(self) -> float:
        return median([s.cpu_ms - s.import_cpu_ms for s in self.samples])

    @property
    def last(self) -> Sample:
        return self.samples[-1]


@dataclass
class ColdReport:
    functions: list[Measurement]
    floor: Measurement
    fastapi: dict[str, Measurement]  # route -> measurement
    plan: Plan
    bytecode: bool = True  # the layer copy had its unchecked-hash bytecode

    def fastapi_for(self, route: str | None) -> tuple[float | None, bool]:
        """The FastAPI median CPU time for a route, and whether it was measured on that very route."""
        if route is None or not self.fastapi:
            return None, False
        if route in self.fastapi:
            return self.fastapi[route].cpu_ms, True
        return median([m.cpu_ms for m in self.fastapi.values()]), False


# ---------------------------------------------------------------- local AWS and code layout


@contextmanager
def moto_server() -> Iterator[tuple[str, dict[str, str]]]:
    """A moto server on localhost with the template's resources: (endpoint, refs)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    saved = {k: os.environ.get(k) for k in (*aws.LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL")}
    os.environ.update({**aws.LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint})
    try:
        refs = aws.create_resources(prefix="souk-bench")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield endpoint, refs
    finally:
        server.stop()


def _copy(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return destination


def compile_layer(layer: Path) -> int:
    """Unchecked-hash bytecode for every module of the layer copy, as ``make build`` ships it.

    Written by this interpreter, the one the children run, so the tag matches. Returns the
    number of modules compiled.
    """
    sources = sorted(layer.rglob("*.py"))
    mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
    for source in sources:
        py_compile.compile(str(source), doraise=True, invalidation_mode=mode, quiet=1)
    return len(sources)


def child_environment(endpoint: str, refs: dict[str, str]) -> dict[str, str]:
    """What every process sees: the template's Globals environment, nothing from this shell."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR") if k in os.environ}
    env.update(aws.LOCAL_CREDENTIALS)
    env.update(aws.function_environment(refs))
    env["AWS_ENDPOINT_URL"] = endpoint
    return env


# Lambda's X-Ray daemon listens on a link-local address; locally nothing listens on this
# port, and the SDK's UDP datagrams to it are sent and lost, as cheap as in Lambda.
XRAY_DAEMON_ADDRESS = "127.0.0.1:2000"


def trace_header() -> str:
    """An X-Ray trace header as Lambda sets it per invocation for active tracing, sampled."""
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"


def lambda_environment(
    name: str, handler: str, memory_mb: int, task_root: Path, function_variables: dict[str, str]
) -> dict[str, str]:
    """The variables the Lambda runtime sets for a Python 3.12 function, over its own.

    ``function_variables`` are the template's (Globals and the function's, local values);
    the runtime's win, as in Lambda. Tracing is Active in the template's Globals, so the
    X-Ray variables are set too.
    """
    runtime = {
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]bench",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": aws.REGION,
        "AWS_DEFAULT_REGION": aws.REGION,
        "_HANDLER": handler,
        "TZ": ":UTC",
        "AWS_XRAY_DAEMON_ADDRESS": XRAY_DAEMON_ADDRESS,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "_X_AMZN_TRACE_ID": trace_header(),
    }
    return {**function_variables, **runtime}


# ---------------------------------------------------------------- events


def _queue_arn(url: str) -> str:
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{aws.REGION}:{account}:{name}"


def first_event(function: template.Function, refs: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """(label, event) for the first trigger a function declares."""
    for name, event in (function.properties.get("Events") or {}).items():
        props = event.get("Properties", {})
        if event["Type"] == "Api":
            method, path = props["Method"].upper(), props["Path"]
            method = "GET" if method == "ANY" else method
            real = concrete_path(path)
            params = path_parameters(path, real)
            return f"{method} {path}", api_event(
                method, path, real, path_parameters=params or None, headers=BENCH_HEADERS
            )
        if event["Type"] == "SQS":
            queue = props["Queue"]["Fn::GetAtt"][0]
            message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "bench", "Body": "{}"}
            return f"SQS {queue}", sqs_event(_queue_arn(refs[queue]), [message])
        if event["Type"] == "Schedule":
            return f"schedule {props['Schedule']}", schedule_event(f"{function.logical_id}-{name}")
    return "invoke", {}


# ---------------------------------------------------------------- targets


def function_targets(
    functions: Sequence[template.Function], refs: dict[str, str], task_root: Path, layer: Path
) -> list[Target]:
    targets = []
    for fn in functions:
        code = _copy(ROOT / fn.code_uri, task_root / fn.logical_id)
        label, event = first_event(fn, refs)
        memory = int(template.function_setting(fn, "MemorySize", 128))
        variables = aws.function_environment(refs, function=fn)
        environment = lambda_environment(fn.logical_id, fn.handler, memory, code, variables)
        module_file = code / fn.handler_file.relative_to(ROOT / fn.code_uri)
        spec = {
            "kind": "handler",
            "sys_path": [str(code), str(layer)],
            "module_name": module_file.stem,
            "file": str(module_file),
            "handler": fn.handler_name,
            "event": event,
            "context": {"function_name": fn.logical_id, "memory_limit_in_mb": memory},
        }
        route = label if not label.startswith(("SQS", "schedule", "invoke")) else None
        targets.append(Target(fn.logical_id, fn.logical_id, "souk", spec, route, fn, environment))
    return targets


def fastapi_targets(
    routes: Sequence[tuple[str, dict[str, Any]]], task_root: Path, sample: int, variables: dict[str, str]
) -> list[Target]:
    """The monolith on up to ``sample`` routes, spread evenly: its cost barely depends on the route."""
    code = task_root / "FastApiMonolith"
    code.mkdir()
    shutil.copy2(FASTAPI_APP, code / "app.py")
    environment = lambda_environment("FastApiMonolith", "app.handler", 512, code, variables)
    if len(routes) <= sample:
        picked = list(routes)
    elif sample == 1:
        picked = [routes[0]]  # the first route, health: the one every comparison starts with
    else:
        picked = [routes[round(i * (len(routes) - 1) / (sample - 1))] for i in range(sample)]
    return [
        Target(
            f"fastapi:{route}",
            f"FastAPI+Mangum {route}",
            "fastapi",
            {
                "kind": "handler",
                "sys_path": [str(code)],
                "module_name": "app",
                "file": str(code / "app.py"),
                "handler": "handler",
                "event": event,
                "context": {"function_name": "FastApiMonolith", "memory_limit_in_mb": 512},
            },
            route,
            environment=environment,
        )
        for route, event in picked
    ]


def floor_target(task_root: Path, variables: dict[str, str]) -> Target:
    """``import boto3; boto3.client('dynamodb')`` in a Lambda environment of its own."""
    code = task_root / "Floor"
    code.mkdir()
    environment = lambda_environment("Floor", "floor.handler", 512, code, variables)
    spec = {"kind": "floor", "sys_path": []}
    return Target("floor", "boto3 + DynamoDB client (floor)", "floor", spec, environment=environment)


def write_route_manifest(path: Path) -> Path:
    """The routes the monolith serves, as its build would bake them in."""
    routes = [{"method": r.method, "path": r.path, "name": r.function.logical_id} for r in template.routes()]
    path.write_text(json.dumps(routes), encoding="utf-8")
    return path


# ---------------------------------------------------------------- running


def run_once(target: Target, scratch: Path, env: dict[str, str]) -> Sample:
    """One cold start of one target in a fresh, isolated interpreter."""
    return Sample.parse(_run_child(target, scratch, env).stdout)


def _run_child(
    target: Target, scratch: Path, env: dict[str, str], flags: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    spec_file = scratch / f"spec-{target.key.replace('/', '_').replace(' ', '_').replace(':', '_')}.json"
    if not spec_file.exists():
        spec_file.write_text(json.dumps(target.spec), encoding="utf-8")
    # -I: no PYTHONPATH, no user site, no script dir on sys.path; -B: like /var/task, nothing written.
    command = [sys.executable, "-I", "-B", *flags, str(CHILD), str(spec_file)]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script, argv built here
        command,
        env={**env, **target.environment},
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
        cwd=scratch,
    )
    if done.returncode != 0:
        raise ChildFailed(target.label, done.returncode, done.stderr)
    return done


def warm_up_targets(targets: Sequence[Target]) -> list[Target]:
    """The first target of each group: enough to fill the page cache with the shared
    libraries and to make the moto server load its backends before anything is timed."""
    seen: dict[str, Target] = {}
    for target in targets:
        seen.setdefault(target.group, target)
    return list(seen.values())


@dataclass(frozen=True)
class Plan:
    """How the cold-start section spends its time budget."""

    jobs: int  # cold starts at once
    function_runs: int  # samples per function
    reference_runs: int  # samples per reference (boto3, FastAPI): always the full count
    estimate_seconds: float  # wall time expected for the whole plan

    def rounds_with_functions(self) -> set[int]:
        """Which of the reference rounds (0-based) also run every function: spread evenly,
        so the functions and the references see the same moments of the machine."""
        if self.function_runs >= self.reference_runs:
            return set(range(self.reference_runs))
        if self.function_runs == 1:
            return {self.reference_runs // 2}
        last = self.reference_runs - 1
        return {round(k * last / (self.function_runs - 1)) for k in range(self.function_runs)}


def plan(
    *,
    functions: int,
    references: int,
    seconds_per_run: float,
    runs: int,
    min_runs: int,
    budget_seconds: float | None,
    cpus: int,
) -> Plan:
    """Fit ``runs`` samples of everything into the budget, or as close as it gets.

    First one cold start at a time (the cleanest numbers); if that does not fit, one per
    core: every sample is then a little slower (shared caches, memory bandwidth) but
    functions and references are sampled alike, so the ratios stay fair. If that still
    does not fit, functions get fewer samples (never under ``min_runs``) while the
    references keep all of theirs, since every ratio leans on them. No budget: all runs.
    """

    def seconds(jobs: int, function_runs: int) -> float:
        return (functions * function_runs + references * runs) * seconds_per_run / jobs

    if budget_seconds is None or seconds(1, runs) <= budget_seconds or cpus < 2:
        return Plan(1, runs, runs, seconds(1, runs))
    jobs = max(1, cpus)
    affordable = (budget_seconds * jobs / seconds_per_run - references * runs) / max(functions, 1)
    function_runs = max(min(runs, min_runs), min(runs, math.floor(affordable)))
    return Plan(jobs, function_runs, runs, seconds(jobs, function_runs))


def _attempt(target: Target, scratch: Path, env: dict[str, str]) -> Sample | ChildFailed:
    try:
        return run_once(target, scratch, env)
    except ChildFailed as failure:
        return failure


def _timed_run(target: Target, scratch: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    _attempt(target, scratch, env)
    return time.monotonic() - started


def round_order(live: Sequence[Target], floor_samples: int = FLOOR_SAMPLES_PER_ROUND) -> list[Target]:
    """One round's cold starts: ``live`` in order, the floor repeated ``floor_samples`` times,
    spread evenly (first, then after every ``len/floor_samples`` others)."""
    floor = [t for t in live if t.group == "floor"]
    others = [t for t in live if t.group != "floor"]
    if not floor or floor_samples < 1:
        return list(live)
    ordered: list[Target] = []
    step = max(1, math.ceil(len(others) / floor_samples))
    for start in range(0, max(len(others), 1), step):
        if len([t for t in ordered if t.group == "floor"]) < floor_samples:
            ordered.append(floor[0])
        ordered.extend(others[start : start + step])
    ordered.extend([floor[0]] * (floor_samples - len([t for t in ordered if t.group == "floor"])))
    return ordered


def measure(
    targets: Sequence[Target],
    scratch: Path,
    env: dict[str, str],
    *,
    runs: int,
    min_runs: int,
    budget_seconds: float | None,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, Measurement], Plan]:
    """Samples of every target after a discarded warm-up, and the plan that was followed.

    Targets are interleaved round by round, so a slow moment of the machine (another
    process on the other core) spreads over every target instead of landing on one; the
    floor runs several times per round (:func:`round_order`). A
    target that crashes is reported with its error and not run again: one broken
    handler must not hide the numbers of the others.
    """
    warm = [_timed_run(t, scratch, env) for t in warm_up_targets(targets)]
    functions = [t for t in targets if t.group == "souk"]
    chosen = plan(
        functions=len(functions),
        references=len(targets) - len(functions) + FLOOR_SAMPLES_PER_ROUND - 1,
        seconds_per_run=sum(warm) / len(warm),
        runs=runs,
        min_runs=min_runs,
        budget_seconds=budget_seconds,
        cpus=os.cpu_count() or 1,
    )
    if progress is not None:
        progress(
            f"cold starts: {len(functions)} functions x {chosen.function_runs} runs, "
            f"{len(targets) - len(functions)} references x {chosen.reference_runs}, {chosen.jobs} at a time, "
            f"about {chosen.estimate_seconds:.0f} s"
        )
    results = {t.key: Measurement(t) for t in targets}
    with_functions = chosen.rounds_with_functions()
    with ThreadPoolExecutor(max_workers=chosen.jobs) as pool:
        for round_number in range(chosen.reference_runs):
            live = round_order(
                [
                    t
                    for t in targets
                    if results[t.key].error is None and (t.group != "souk" or round_number in with_functions)
                ]
            )
            for target, outcome in zip(live, pool.map(lambda t: _attempt(t, scratch, env), live), strict=True):
                if isinstance(outcome, ChildFailed):
                    results[target.key].error, results[target.key].samples = outcome.reason, []
                else:
                    results[target.key].samples.append(outcome)
            if progress is not None:
                progress(f"cold starts: round {round_number + 1}/{chosen.reference_runs} done")
    return results, chosen


def run(
    *,
    runs: int = 7,
    min_runs: int = 3,
    only: str | None = None,
    fastapi_sample: int = 4,
    budget_seconds: float | None = 150.0,
    bytecode: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ColdReport:
    """Measure every function (or those whose logical id matches ``only``) and both references."""
    functions = select(only)
    with tempfile.TemporaryDirectory(prefix="souk-bench-") as tmp, moto_server() as (endpoint, refs):
        scratch = Path(tmp)
        layer, task_root = lambda_dirs(scratch, bytecode=bytecode)
        souk = function_targets(functions, refs, task_root, layer)
        api_routes = [(t.route, t.spec["event"]) for t in souk if t.route is not None]
        variables = aws.function_environment(refs)
        fastapi = fastapi_targets(api_routes, task_root, fastapi_sample, variables) if api_routes else []
        floor = floor_target(task_root, variables)
        env = child_environment(endpoint, refs)
        env["SOUK_ROUTES_FILE"] = str(write_route_manifest(scratch / "routes.json"))
        targets = [floor, *souk, *fastapi]
        results, chosen = measure(
            targets, scratch, env, runs=runs, min_runs=min_runs, budget_seconds=budget_seconds, progress=progress
        )
    for reference in [floor, *fastapi]:
        if results[reference.key].error:
            raise RuntimeError(f"{reference.label} failed: {results[reference.key].error}")
    return ColdReport(
        functions=[results[t.key] for t in souk],
        floor=results[floor.key],
        fastapi={t.route: results[t.key] for t in fastapi if t.route},
        plan=chosen,
        bytecode=bytecode,
    )


def lambda_dirs(scratch: Path, *, bytecode: bool) -> tuple[Path, Path]:
    """The layer as Lambda mounts it (``/opt/python``, with bytecode as deployed unless asked not to) and an
    empty task root, under ``scratch``."""
    layer = _copy(ROOT / "shared", scratch / "opt" / "python")
    if bytecode:
        compile_layer(layer)
    task_root = scratch / "task"
    task_root.mkdir()
    return layer, task_root


def select(only: str | None) -> list[template.Function]:
    """The template's functions whose logical id matches ``only`` (fnmatch; commas for several)."""
    patterns = [p.strip() for p in (only or "*").split(",") if p.strip()]
    functions = [f for f in template.functions() if any(fnmatch.fnmatch(f.logical_id, p) for p in patterns)]
    if not functions:
        raise ValueError(f"no function matches {only!r}")
    return functions


def import_profile(function_id: str, *, bytecode: bool = True) -> str:
    """``-X importtime`` output (stderr) of one cold start of a function, after a warm-up run."""
    function = next((f for f in template.functions() if f.logical_id == function_id), None)
    if function is None:
        raise ValueError(f"no function {function_id!r} in template.yaml")
    with tempfile.TemporaryDirectory(prefix="souk-bench-") as tmp, moto_server() as (endpoint, refs):
        scratch = Path(tmp)
        layer, task_root = lambda_dirs(scratch, bytecode=bytecode)
        [target] = function_targets([function], refs, task_root, layer)
        env = child_environment(endpoint, refs)
        _run_child(target, scratch, env)  # page cache, moto backends
        return _run_child(target, scratch, env, ["-X", "importtime"]).stderr
