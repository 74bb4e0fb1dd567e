"""`make run`: the whole API on one machine, offline, with local AWS, workers and schedules.

Starts moto (S3, SQS, SNS, EventBridge, and DynamoDB when Java or the jar is missing)
and DynamoDB Local (persisted under the local dir), creates the template's resources,
serves every route on http://127.0.0.1:3000 through the same Router the route tests use,
and runs each function (routes, queue consumers, schedules) in execution environments
of its own, as Lambda does (:mod:`infra.local.environments`). Every email and SMS goes
to the outbox. ``<SOUK_LOCAL_DIR>/stack.json`` says what runs where while it runs.
Ctrl-C or SIGTERM stops it all, environments included, and prints a summary.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import boto3

from infra import template
from infra.local import aws, stackfile
from infra.local.dynamodb_local import DynamoDBLocal, unavailable_reason
from infra.local.environments import PER_FUNCTION_VARIABLE, TOTAL_VARIABLE, EnvironmentPool, FunctionSpec
from infra.local.localstripe import PRICES, TEST_SECRET_KEY, LocalStripe
from infra.local.routing import Router, through_environments
from infra.local.schedules import ScheduledJob, Scheduler
from infra.local.workers import QueueWorker

if TYPE_CHECKING:
    from infra.local.outbox import Outbox
    from infra.local.server import ApiServer

HOST = "127.0.0.1"
# The webhook secret the runner registers with localstripe unless STRIPE_WEBHOOK_SECRET says otherwise.
LOCAL_WEBHOOK_SECRET = "whsec_local"
logger = logging.getLogger("infra.local")


def log(line: str) -> None:
    """One timestamped line on stdout, flushed: the runner's whole log is these lines."""
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


@dataclass(frozen=True)
class Config:
    """The runner's knobs, from the developer's environment (README: Configuration)."""

    port: int
    moto_port: int
    dynamodb_port: int
    local_dir: Path
    dynamodb: str  # auto | local | moto
    stripe_port: int = 12111
    # Set by a developer who wants another Stripe (real test mode): then no localstripe is started.
    stripe_api_base: str | None = None
    # Tests only: a template of extra functions served next to template.yaml's (never deployed).
    extra_template: Path | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str] = os.environ) -> Config:
        extra = Path(env["SOUK_EXTRA_TEMPLATE"]) if env.get("SOUK_EXTRA_TEMPLATE") else None
        return cls(
            port=int(env.get("PORT") or 3000),
            moto_port=int(env.get("MOTO_PORT") or 4566),
            dynamodb_port=int(env.get("DYNAMODB_PORT") or 8000),
            local_dir=stackfile.local_dir(env),
            dynamodb=(env.get("SOUK_DYNAMODB") or "auto").lower(),
            stripe_port=int(env.get("STRIPE_PORT") or 12111),
            stripe_api_base=env.get("STRIPE_API_BASE") or None,
            extra_template=extra if extra is None or extra.is_absolute() else template.ROOT / extra,
        )

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def stripe_url(self) -> str:
        return self.stripe_api_base or f"http://{HOST}:{self.stripe_port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/api/v1/webhooks/stripe"


def function_overrides(config: Config, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Local values for the secrets and endpoints the functions read; the developer's env wins."""
    defaults = {
        "JWT_SECRET": "souk-local-jwt-secret-change-me-0123456789",
        "SENDGRID_API_KEY": "local",
        "SENDGRID_API_BASE": f"{config.base_url}/_dev/sendgrid",
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": LOCAL_WEBHOOK_SECRET,
        "STRIPE_API_BASE": config.stripe_url,
        # The plans' prices that localstripe seeds (set both to real ones with a real STRIPE_API_BASE).
        **PRICES,
        # Links in emails (password reset...) point at this runner, whatever its port.
        "APP_URL": f"http://localhost:{config.port}",
    }
    return {key: env.get(key) or value for key, value in defaults.items()}


def passed_through(env: Mapping[str, str]) -> dict[str, str]:
    """The developer's values for the layer's own settings the template leaves unset
    (``OAUTH_GOOGLE_CLIENT_ID``, ``PUBLIC_API_URL``...) and Powertools' (``POWERTOOLS_LOG_LEVEL``).

    Nothing else of the shell reaches a function, as nothing else reaches a Lambda.
    """
    from souk.settings import Settings

    names = {info.alias for info in Settings.model_fields.values() if info.alias}
    return {key: value for key, value in env.items() if key in names or key.startswith("POWERTOOLS_")}


def function_specs(functions: list[template.Function], refs: dict[str, str], config: Config,
                   developer_env: Mapping[str, str]) -> dict[str, FunctionSpec]:  # fmt: skip
    """Each function's environment: the template's (Globals and its own, Refs resolved to local
    names), the local secrets and endpoints, and local AWS; the developer's settings beneath."""
    local_aws = {**aws.LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
                 "AWS_ENDPOINT_URL_DYNAMODB": os.environ["AWS_ENDPOINT_URL_DYNAMODB"]}  # fmt: skip
    overrides = function_overrides(config, developer_env)
    underneath = passed_through(developer_env)
    return {fn.logical_id: FunctionSpec.of(fn, {**underneath, **aws.function_environment(refs, overrides, fn),
                                                **local_aws})
            for fn in functions}  # fmt: skip


class StartupError(RuntimeError):
    """The runner cannot start; the message says what to do."""


def ensure_port_free(port: int, what: str, variable: str) -> None:
    """Fail early and clearly rather than talk to whatever already listens there."""
    with socket.socket() as sock:
        # SO_REUSEADDR, as the servers use: connections in TIME_WAIT from a last run don't count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise StartupError(f"port {port} ({what}) is in use: stop what uses it or set {variable}") from None


# ---------------------------------------------------------------------------- local AWS


@dataclass
class LocalAws:
    """moto in-process, DynamoDB Local as a child process (or moto for DynamoDB too)."""

    config: Config
    moto: Any = None
    dynamodb_local: DynamoDBLocal | None = None
    engine: str = ""
    engine_reason: str = ""

    @property
    def moto_url(self) -> str:
        return f"http://{HOST}:{self.config.moto_port}"

    def start(self) -> LocalAws:
        ensure_port_free(self.config.moto_port, "moto", "MOTO_PORT")
        for leak in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(leak, None)  # a developer's real profile must never be used here
        os.environ.update(aws.LOCAL_CREDENTIALS)
        # DynamoDB Local would otherwise send telemetry through the AWS SDK (to moto, or nowhere).
        os.environ.setdefault("DDB_LOCAL_TELEMETRY", "0")
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dynamodb-start") as pool:
            # The JVM is the slowest to boot: it starts while moto is imported and started.
            dynamodb_endpoint = pool.submit(self._start_dynamodb)
            self._start_moto()
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint.result()
        os.environ["AWS_ENDPOINT_URL"] = self.moto_url
        return self

    def _start_moto(self) -> None:
        started = time.monotonic()
        from moto.server import ThreadedMotoServer

        # moto's server logs every request through werkzeug; the runner logs its own.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.moto = ThreadedMotoServer(ip_address=HOST, port=self.config.moto_port, verbose=False)
        self.moto.start()
        log(f"moto listening on {self.moto_url} ({time.monotonic() - started:.1f}s)")

    def _start_dynamodb(self) -> str:
        """DynamoDB Local when it can run (or is asked for), else moto; returns the endpoint."""
        reason = unavailable_reason()
        if self.config.dynamodb == "moto":
            self.engine, self.engine_reason = "moto", "SOUK_DYNAMODB=moto"
            return self.moto_url
        if reason is not None:
            if self.config.dynamodb == "local":
                raise StartupError(f"SOUK_DYNAMODB=local but {reason}")
            self.engine, self.engine_reason = "moto", f"{reason}; data is lost at exit"
            return self.moto_url
        ensure_port_free(self.config.dynamodb_port, "DynamoDB Local", "DYNAMODB_PORT")
        data_dir = self.config.local_dir / "dynamodb"
        started = time.monotonic()
        self.dynamodb_local = DynamoDBLocal(port=self.config.dynamodb_port, data_dir=data_dir).start(timeout=60)
        log(f"DynamoDB Local listening on {self.dynamodb_local.endpoint} ({time.monotonic() - started:.1f}s)")
        if not self.dynamodb_local.loopback_only:
            log("warning: DynamoDB Local listens on every interface, not only 127.0.0.1: "
                "no JDK compiler (javac) here to build its loopback launcher")  # fmt: skip
        _drain(self.dynamodb_local)
        self.engine, self.engine_reason = "DynamoDB Local", f"Java and the jar are present; data kept in {data_dir}"
        return self.dynamodb_local.endpoint

    def create_resources(self) -> dict[str, str]:
        return aws.create_resources(dynamodb_endpoint=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])

    def stop(self) -> None:
        if self.dynamodb_local is not None:
            self.dynamodb_local.stop()
        if self.moto is not None:
            self.moto.stop()


def _drain(dynamodb: DynamoDBLocal) -> None:
    """Forward DynamoDB Local's stderr: left unread, a full pipe would block the java process."""
    stream = dynamodb.process.stderr if dynamodb.process else None
    if stream is None:
        return

    def forward() -> None:
        for line in iter(stream.readline, b""):
            log(f"dynamodb-local: {line.decode(errors='replace').rstrip()}")

    threading.Thread(target=forward, name="dynamodb-local-stderr", daemon=True).start()


# ---------------------------------------------------------------------------- background work


def _reports_batch_failures(consumer: template.QueueConsumer) -> bool:
    """Whether the consumer's SQS event declares ReportBatchItemFailures, as Lambda checks."""
    for event in (consumer.function.properties.get("Events") or {}).values():
        props = event.get("Properties", {})
        if event.get("Type") == "SQS" and props.get("Queue", {}).get("Fn::GetAtt", [None])[0] == consumer.queue:
            return "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
    return False


def queue_workers(refs: dict[str, str], stop: threading.Event, pool: EnvironmentPool) -> list[QueueWorker]:
    """One poller per SQS event source in the template; batches run in the consumer's environments."""
    sqs = boto3.client("sqs")
    workers = []
    for consumer in template.queue_consumers():
        reports = _reports_batch_failures(consumer)
        if not reports:
            log(f"warning: {consumer.function.logical_id} lacks FunctionResponseTypes: [ReportBatchItemFailures]; "
                "like Lambda, the runner ignores its batchItemFailures")  # fmt: skip
        workers.append(QueueWorker(consumer.function.logical_id, refs[consumer.queue],
                                   partial(pool.call, consumer.function.logical_id), stop, sqs=sqs,
                                   batch_size=consumer.batch_size, report_failures=reports))  # fmt: skip
    return workers


def scheduled_jobs(pool: EnvironmentPool) -> list[ScheduledJob]:
    jobs = [ScheduledJob(s.name, s.expression, s.function.logical_id, partial(pool.call, s.function.logical_id))
            for s in template.schedules()]  # fmt: skip
    for job in jobs:
        if job.problem:
            log(f"warning: schedule {job.name} runs on demand only: {job.problem}")
    return jobs


# ---------------------------------------------------------------------------- the runner


@dataclass
class Runner:
    config: Config
    stop_event: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    local_aws: LocalAws | None = None
    server: ApiServer | None = None
    outbox: Outbox | None = None
    threads: list[threading.Thread] = field(default_factory=list)
    scheduler: Scheduler | None = None
    stripe: LocalStripe | None = None
    pool: EnvironmentPool | None = None
    refs: dict[str, str] = field(default_factory=dict)
    stack_written: bool = False

    def start(self) -> None:
        developer_env = dict(os.environ)  # before local AWS replaces credentials and endpoints
        ensure_port_free(self.config.port, "the API", "PORT")
        if self.config.stripe_api_base is None:
            ensure_port_free(self.config.stripe_port, "localstripe", "STRIPE_PORT")
        self.config.local_dir.mkdir(parents=True, exist_ok=True)
        other = stackfile.read(self.config.local_dir)
        if other is not None:
            raise StartupError(f"another local stack (pid {other['pid']}, {other.get('apiUrl')}) runs on "
                               f"{self.config.local_dir}: stop it, or set SOUK_LOCAL_DIR")  # fmt: skip
        routes, functions = self._routes_and_functions()
        self.local_aws = LocalAws(self.config)  # assigned first: stop() must find a half-started one
        self.local_aws.start()
        started = time.monotonic()
        self.refs = refs = self.local_aws.create_resources()
        log(f"table, buckets and queues ready ({time.monotonic() - started:.1f}s)")
        os.environ.update(aws.function_environment(refs, function_overrides(self.config)))
        # Imported only now: they import the souk layer, whose Logger and settings read the
        # environment once, at import (the dev routes' envelopes; functions run elsewhere).
        if "souk.settings" in sys.modules:
            sys.modules["souk.settings"].get_settings.cache_clear()
        from infra.local.outbox import Outbox, SmsHarvester
        from infra.local.server import ApiServer, DevApi

        self.pool = pool = EnvironmentPool.from_env(function_specs(functions, refs, self.config, developer_env),
                                                    developer_env, log=log)  # fmt: skip
        self.outbox = Outbox(self.config.local_dir / "outbox.jsonl")
        self.scheduler = Scheduler(scheduled_jobs(pool), self.stop_event)
        queue_urls = {q: refs[q] for q in template.queues()}
        dev = DevApi(self.outbox, self.scheduler, boto3.client("sqs"), queue_urls)
        self.server = ApiServer(HOST, self.config.port, Router(routes, through_environments(pool)), dev, log)
        self.threads = [SmsHarvester(self.outbox, self.stop_event), self.scheduler,
                        *queue_workers(refs, self.stop_event, pool)]  # fmt: skip
        for thread in self.threads:
            thread.start()
        # Before the API answers: a client that sees /api/health can already pay.
        self._start_stripe()
        self.server.start()
        stackfile.write(self.config.local_dir, self.describe())
        self.stack_written = True

    def _routes_and_functions(self) -> tuple[list[template.Route], list[template.Function]]:
        """template.yaml's, plus the extra template's (tests only) when SOUK_EXTRA_TEMPLATE names one."""
        routes, functions = template.routes(), template.functions()
        extra = self.config.extra_template
        if extra is not None:
            if not extra.is_file():
                raise StartupError(f"SOUK_EXTRA_TEMPLATE={extra} is not a file")
            doc = template.load(extra)
            routes, functions = routes + template.routes(doc), functions + template.functions(doc)
            log(f"extra functions from {extra}: {', '.join(f.logical_id for f in template.functions(doc))}")
        return routes, functions

    def describe(self) -> dict[str, Any]:
        """What stack.json says: where everything listens, and the local resource names."""
        engine = self.local_aws
        serves_dynamodb = engine is not None and engine.dynamodb_local is not None
        return {
            "pid": os.getpid(),
            "apiUrl": self.config.base_url,
            "ports": {"api": self.config.port, "moto": self.config.moto_port,
                      "dynamodb": self.config.dynamodb_port if serves_dynamodb else None,
                      "stripe": self.config.stripe_port if self.stripe else None},
            "endpoints": {"moto": engine.moto_url if engine else None,
                          "dynamodb": os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
                          "stripe": self.config.stripe_url},
            "dynamodb": engine.engine if engine else None,
            "table": self.refs.get(next(iter(template.resources("AWS::DynamoDB::Table")), ""), None),
            "buckets": {b: self.refs[b] for b in template.buckets() if b in self.refs},
            "queues": {q: self.refs[q] for q in template.queues() if q in self.refs},
            "localDir": str(self.config.local_dir),
            "outbox": str(self.config.local_dir / "outbox.jsonl"),
            "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }  # fmt: skip

    def _start_stripe(self) -> None:
        """localstripe, with our webhook route registered: confirmed test payments send signed events here."""
        if self.config.stripe_api_base is not None:
            log(f"Stripe: using STRIPE_API_BASE={self.config.stripe_api_base} (no localstripe started)")
            return
        started = time.monotonic()
        try:
            self.stripe = LocalStripe(self.config.stripe_port).start()
        except RuntimeError as exc:
            raise StartupError(f"{exc} (card payments need it; `make install` installs it)") from exc
        self.stripe.register_webhook(self.config.webhook_url, os.environ["STRIPE_WEBHOOK_SECRET"])
        log(f"localstripe listening on {self.stripe.url}, events to {self.config.webhook_url} "
            f"({time.monotonic() - started:.1f}s)")  # fmt: skip

    def banner(self) -> str:
        base, engine = self.config.base_url, self.local_aws
        workers = [t.consumer for t in self.threads if isinstance(t, QueueWorker)]
        jobs = list(self.scheduler.jobs) if self.scheduler else []
        return "\n".join([
            "",
            f"  Souk is running on {base}",
            f"    API         {base}/api/v1/...",
            f"    Docs        {base}/api/docs",
            f"    Health      {base}/api/health",
            f"    Outbox      {base}/api/_dev/outbox   (file: {self.config.local_dir / 'outbox.jsonl'})",
            f"    Queues      {base}/api/_dev/queues   consumers: {', '.join(workers) or 'none yet'}",
            f"    Schedules   {base}/api/_dev/schedules   {', '.join(jobs) or 'none yet'}",
            f"    Functions   {len(self.pool.specs) if self.pool else 0}, each in environments of its own: up to "
            f"{self.pool.per_function if self.pool else '-'} per function ({PER_FUNCTION_VARIABLE}), "
            f"{self.pool.total if self.pool else '-'} in all ({TOTAL_VARIABLE})",
            f"    AWS (moto)  {engine.moto_url if engine else '-'}",
            f"    DynamoDB    {engine.engine if engine else '-'}: {engine.engine_reason if engine else '-'}",
            f"    Stripe      {self.config.stripe_url}"
            + ("   (localstripe; webhooks to /api/v1/webhooks/stripe)" if self.stripe else ""),
            f"    Stack       {stackfile.path(self.config.local_dir)}",
            "  Ctrl-C stops everything.",
            "",
        ])  # fmt: skip

    def summary(self) -> str:
        uptime = time.monotonic() - self.started
        stats = self.server.stats if self.server else None
        sent = self.outbox.appended if self.outbox else {}
        workers = [t for t in self.threads if isinstance(t, QueueWorker)]
        processed = sum(w.stats.deleted for w in workers)
        failed = sum(w.stats.failed for w in workers)
        fired = sum(job.runs for job in self.scheduler.jobs.values()) if self.scheduler else 0
        cold = self.pool.stats.cold_starts if self.pool else 0
        return (f"Stopped after {uptime:.0f}s: {stats.requests if stats else 0} requests "
                f"({stats.errors if stats else 0} 5xx), {sent.get('email', 0)} emails and {sent.get('sms', 0)} SMS "
                f"to the outbox, {processed} queue messages processed ({failed} left for retry), "
                f"{fired} scheduled runs, {cold} cold starts.")  # fmt: skip

    def stop(self) -> None:
        """Stop in dependency order: no new requests, then workers, then the AWS they talk to."""
        self.stop_event.set()
        if self.stack_written:
            stackfile.remove(self.config.local_dir, os.getpid())
        if self.server is not None:
            self.server.stop()
        if self.stripe is not None:
            self.stripe.stop()
        for thread in self.threads:
            thread.join(timeout=10)
            if thread.is_alive():
                log(f"warning: {thread.name} did not stop within 10 s")
        if self.pool is not None:
            self.pool.close()  # every environment process, busy or not
        if self.local_aws is not None:
            self.local_aws.stop()

    def kill_children(self) -> None:
        """No clean stop (a second Ctrl-C): still never leave the java process behind.

        Environments need nothing: they exit when the runner does (parent-death signal, lifeline).
        """
        dynamodb = self.local_aws.dynamodb_local if self.local_aws else None
        if dynamodb is not None and dynamodb.process is not None:
            dynamodb.process.kill()
        if self.stripe is not None and self.stripe.process is not None:
            self.stripe.process.kill()


def _install_signal_handlers(runner: Runner) -> None:
    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if runner.stop_event.is_set():
            log("second signal: exiting now")
            runner.kill_children()
            os._exit(130)
        log(f"{signal.Signals(signum).name} received, stopping...")
        runner.stop_event.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)


def _configure_logging() -> None:
    """The runner's own warnings and errors on stderr; the root logger stays untouched.

    Powertools loggers propagate to the root logger: configuring it would print every
    function log line twice.
    """
    # Powertools warns on every invocation that records no metric; noise for a developer.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main() -> int:
    """Start everything, block until Ctrl-C or SIGTERM, stop everything; the exit code."""
    _configure_logging()
    runner = Runner(Config.from_env())
    _install_signal_handlers(runner)
    try:
        runner.start()
    except StartupError as exc:
        log(f"cannot start: {exc}")
        runner.stop()
        return 1
    except Exception:
        # Whatever broke, never leave moto's thread or the java process behind.
        logger.exception("cannot start")
        runner.stop()
        return 1
    log(runner.banner())
    while not runner.stop_event.wait(0.5):
        pass  # short waits keep the main thread responsive to signals
    runner.stop()
    log(runner.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
