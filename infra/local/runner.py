"""`make run`: the whole API on one machine, offline, with local AWS, workers and schedules.

Starts moto (S3, SQS, SNS, EventBridge, and DynamoDB when Java or the jar is missing)
and DynamoDB Local (persisted under the local dir), creates the template's resources,
serves every route on http://127.0.0.1:3000 through the same Router the route tests use,
runs queue consumers and schedules in threads, and writes every email and SMS to the
outbox. Ctrl-C or SIGTERM stops it all and prints a summary.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import boto3

from infra import template
from infra.local import aws, lambdas
from infra.local.dynamodb_local import DynamoDBLocal, unavailable_reason
from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from infra.local.routing import Router
from infra.local.schedules import ScheduledJob, Scheduler
from infra.local.workers import QueueWorker

if TYPE_CHECKING:
    from infra.local.outbox import Outbox
    from infra.local.server import ApiServer

HOST = "127.0.0.1"
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

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str] = os.environ) -> Config:
        local_dir = Path(env.get("SOUK_LOCAL_DIR") or ".local")
        return cls(
            port=int(env.get("PORT") or 3000),
            moto_port=int(env.get("MOTO_PORT") or 4566),
            dynamodb_port=int(env.get("DYNAMODB_PORT") or 8000),
            local_dir=local_dir if local_dir.is_absolute() else template.ROOT / local_dir,
            dynamodb=(env.get("SOUK_DYNAMODB") or "auto").lower(),
            stripe_port=int(env.get("STRIPE_PORT") or 12111),
            stripe_api_base=env.get("STRIPE_API_BASE") or None,
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


def function_overrides(config: Config, env: dict[str, str] | os._Environ[str] = os.environ) -> dict[str, str]:
    """Local values for the secrets and endpoints the functions read; the developer's env wins."""
    defaults = {
        "JWT_SECRET": "souk-local-jwt-secret-change-me-0123456789",
        "SENDGRID_API_KEY": "local",
        "SENDGRID_API_BASE": f"{config.base_url}/_dev/sendgrid",
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": "whsec_local",
        "STRIPE_API_BASE": config.stripe_url,
    }
    return {key: env.get(key) or value for key, value in defaults.items()}


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


def queue_workers(refs: dict[str, str], stop: threading.Event) -> list[QueueWorker]:
    """One poller per SQS event source in the template."""
    sqs = boto3.client("sqs")
    workers = []
    for consumer in template.queue_consumers():
        reports = _reports_batch_failures(consumer)
        if not reports:
            log(f"warning: {consumer.function.logical_id} lacks FunctionResponseTypes: [ReportBatchItemFailures]; "
                "like Lambda, the runner ignores its batchItemFailures")  # fmt: skip
        workers.append(QueueWorker(consumer.function.logical_id, refs[consumer.queue],
                                   partial(lambdas.invoke, consumer.function), stop, sqs=sqs,
                                   batch_size=consumer.batch_size, report_failures=reports))  # fmt: skip
    return workers


def scheduled_jobs() -> list[ScheduledJob]:
    jobs = [ScheduledJob(s.name, s.expression, s.function.logical_id, partial(lambdas.invoke, s.function))
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

    def start(self) -> None:
        ensure_port_free(self.config.port, "the API", "PORT")
        if self.config.stripe_api_base is None:
            ensure_port_free(self.config.stripe_port, "localstripe", "STRIPE_PORT")
        self.config.local_dir.mkdir(parents=True, exist_ok=True)
        self.local_aws = LocalAws(self.config)  # assigned first: stop() must find a half-started one
        self.local_aws.start()
        started = time.monotonic()
        refs = self.local_aws.create_resources()
        log(f"table, buckets and queues ready ({time.monotonic() - started:.1f}s)")
        os.environ.update(aws.function_environment(refs, function_overrides(self.config)))
        # Imported only now: they import the souk layer, whose Logger and settings read the
        # environment once, at import, and must see the functions' environment.
        if "souk.settings" in sys.modules:
            sys.modules["souk.settings"].get_settings.cache_clear()
        from infra.local.outbox import Outbox, SmsHarvester
        from infra.local.server import ApiServer, DevApi

        self.outbox = Outbox(self.config.local_dir / "outbox.jsonl")
        self.scheduler = Scheduler(scheduled_jobs(), self.stop_event)
        queue_urls = {q: refs[q] for q in template.queues()}
        dev = DevApi(self.outbox, self.scheduler, boto3.client("sqs"), queue_urls)
        self.server = ApiServer(HOST, self.config.port, Router(), dev, log)
        self.threads = [SmsHarvester(self.outbox, self.stop_event), self.scheduler,
                        *queue_workers(refs, self.stop_event)]  # fmt: skip
        for thread in self.threads:
            thread.start()
        # Before the API answers: a client that sees /api/health can already pay.
        self._start_stripe()
        self.server.start()

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
            f"    AWS (moto)  {engine.moto_url if engine else '-'}",
            f"    DynamoDB    {engine.engine if engine else '-'}: {engine.engine_reason if engine else '-'}",
            f"    Stripe      {self.config.stripe_url}"
            + ("   (localstripe; webhooks to /api/v1/webhooks/stripe)" if self.stripe else ""),
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
        return (f"Stopped after {uptime:.0f}s: {stats.requests if stats else 0} requests "
                f"({stats.errors if stats else 0} 5xx), {sent.get('email', 0)} emails and {sent.get('sms', 0)} SMS "
                f"to the outbox, {processed} queue messages processed ({failed} left for retry), "
                f"{fired} scheduled runs.")  # fmt: skip

    def stop(self) -> None:
        """Stop in dependency order: no new requests, then workers, then the AWS they talk to."""
        self.stop_event.set()
        if self.server is not None:
            self.server.stop()
        if self.stripe is not None:
            self.stripe.stop()
        for thread in self.threads:
            thread.join(timeout=10)
            if thread.is_alive():
                log(f"warning: {thread.name} did not stop within 10 s")
        if self.local_aws is not None:
            self.local_aws.stop()

    def kill_children(self) -> None:
        """No clean stop (a second Ctrl-C): still never leave the java process behind."""
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
