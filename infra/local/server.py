"""The runner's HTTP side: every template route through the shared Router, plus dev-only routes.

Dev routes (``/api/_dev/...`` and the fake SendGrid at ``/_dev/sendgrid``) exist only
locally and are not in template.yaml; everything else is matched and answered as API
Gateway would, through :class:`infra.local.routing.Router` and its invoker (the
functions' execution environments). Whatever the method, the answer is JSON: an
unknown one is the contract's 404, never ``http.server``'s HTML.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from infra import template
from infra.local.outbox import CHANNELS, Outbox, SendGridRequestError, sendgrid_messages
from infra.local.routing import MAX_PAYLOAD_BYTES, HttpResponse, Router, gateway_response
from infra.local.schedules import Scheduler
from souk.context import current_request_id
from souk.http.envelope import error_payload, ok, page

logger = logging.getLogger(__name__)

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
_READ_CHUNK = 1024 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        values = parse_qs(self.query, keep_blank_values=True).get(name)
        return values[-1] if values else None


class DevError(Exception):
    """A dev route's answer in the contract's error envelope."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> None:
        self.status, self.code, self.message, self.details = status, code, message, details
        super().__init__(message)


def json_response(status: int, payload: Any, request_id: str) -> HttpResponse:
    headers = {"Content-Type": "application/json", "X-Request-Id": request_id, "Access-Control-Allow-Origin": "*"}
    return HttpResponse(status, headers, json.dumps(payload, separators=(",", ":")).encode())


def _page_payload(items: list[Any], limit: int, next_cursor: str | None) -> dict[str, Any]:
    payload = page(items, limit=limit, next_cursor=next_cursor).model_dump(mode="json")
    if payload["pagination"].get("total") is None:
        payload["pagination"].pop("total", None)  # only where a counter is kept
    return payload


def _limit(request: Request) -> int:
    raw = request.param("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise DevError(400, "VALIDATION_ERROR", "The request has invalid fields.",
                       [{"field": "limit", "message": f"Must be an integer from 1 to {MAX_LIMIT}."}])  # fmt: skip
    return int(raw)


def _offset(request: Request) -> int:
    """The opaque cursor is a base64 offset into the newest-first list."""
    raw = request.param("cursor")
    if not raw:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(raw.encode()))["o"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise DevError(400, "VALIDATION_ERROR", "The request has invalid fields.",
                       [{"field": "cursor", "message": "Not a cursor this list returned."}]) from None  # fmt: skip


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


@dataclass
class DevApi:
    """Routes that only exist locally: the outbox, schedules, queue depths, fake SendGrid."""

    outbox: Outbox
    scheduler: Scheduler
    sqs: Any
    queue_urls: dict[str, str]  # logical id -> URL, dead-letter queues included
    _routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._routes = [
            ("POST", re.compile(r"^/_dev/sendgrid/v3/mail/send$"), self.sendgrid_send),
            ("GET", re.compile(r"^/api/_dev/outbox$"), self.list_outbox),
            ("DELETE", re.compile(r"^/api/_dev/outbox$"), self.clear_outbox),
            ("GET", re.compile(r"^/api/_dev/schedules$"), self.list_schedules),
            ("POST", re.compile(r"^/api/_dev/schedules/(?P<name>[^/]+)$"), self.fire_schedule),
            ("GET", re.compile(r"^/api/_dev/queues$"), self.list_queues),
            ("POST", re.compile(r"^/api/_dev/queues/(?P<name>[^/]+)/redrive$"), self.redrive_queue),
        ]

    def handle(self, request: Request) -> HttpResponse | None:
        """The answer to a dev route, or None so the template's routes (and 404s) take over."""
        for method, pattern, route in self._routes:
            found = pattern.match(request.path)
            if found and method == request.method:
                request_id = str(uuid.uuid4())
                current_request_id.set(request_id)
                try:
                    return route(request, request_id, **found.groupdict())  # type: ignore[no-any-return]
                except DevError as exc:
                    return json_response(exc.status, error_payload(exc.code, exc.message, exc.details), request_id)
        return None

    # ------------------------------------------------------------------ SendGrid
    def sendgrid_send(self, request: Request, request_id: str) -> HttpResponse:
        """SendGrid's POST /v3/mail/send: 202 with an empty body, or its 400/401 error shape."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not headers.get("authorization", "").startswith("Bearer ") or len(headers["authorization"]) <= 7:
            return self._sendgrid_error(401, None, "The provided authorization grant is invalid, expired, or revoked")
        try:
            entries = sendgrid_messages(json.loads(request.body or b"null"))
        except json.JSONDecodeError:
            return self._sendgrid_error(400, None, "Bad Request")
        except SendGridRequestError as exc:
            return self._sendgrid_error(400, exc.field, str(exc))
        message_id = uuid.uuid4().hex
        self.outbox.append({**entry, "messageId": message_id} for entry in entries)
        return HttpResponse(202, {"X-Message-Id": message_id, "Content-Type": "text/plain"}, b"")

    @staticmethod
    def _sendgrid_error(status: int, field_name: str | None, message: str) -> HttpResponse:
        body = {"errors": [{"message": message, "field": field_name, "help": None}]}
        return HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(body).encode())

    # ------------------------------------------------------------------ outbox
    def list_outbox(self, request: Request, request_id: str) -> HttpResponse:
        channel = request.param("channel")
        if channel and channel not in CHANNELS:
            raise DevError(400, "VALIDATION_ERROR", "The request has invalid fields.",
                           [{"field": "channel", "message": "Must be email or sms."}])  # fmt: skip
        limit, offset = _limit(request), _offset(request)
        entries = self.outbox.entries(to=request.param("to"), channel=channel)
        window = entries[offset : offset + limit]
        next_cursor = _cursor(offset + limit) if offset + limit < len(entries) else None
        return json_response(200, _page_payload(window, limit, next_cursor), request_id)

    def clear_outbox(self, request: Request, request_id: str) -> HttpResponse:
        dropped = self.outbox.clear()
        return json_response(200, ok({"deleted": dropped}).model_dump(mode="json"), request_id)

    # ------------------------------------------------------------------ schedules
    def list_schedules(self, request: Request, request_id: str) -> HttpResponse:
        jobs = [job.describe() for job in self.scheduler.jobs.values()]
        return json_response(200, _page_payload(jobs, max(len(jobs), 1), None), request_id)

    def fire_schedule(self, request: Request, request_id: str, name: str) -> HttpResponse:
        outcome = self.scheduler.fire(name)
        if outcome is None:
            raise DevError(404, "NOT_FOUND", f"No schedule named {name!r}; GET /api/_dev/schedules lists them.")
        return json_response(200, ok(outcome).model_dump(mode="json"), request_id)

    # ------------------------------------------------------------------ queues
    def list_queues(self, request: Request, request_id: str) -> HttpResponse:
        return json_response(200, _page_payload(queue_depths(self.sqs, self.queue_urls), MAX_LIMIT, None), request_id)

    def redrive_queue(self, request: Request, request_id: str, name: str) -> HttpResponse:
        """Move a dead-letter queue's messages back to its source queue (moto has no StartMessageMoveTask)."""
        sources = dead_letter_sources()
        if name not in self.queue_urls:
            raise DevError(404, "NOT_FOUND", f"No queue named {name!r}; GET /api/_dev/queues lists them.")
        if name not in sources:
            dead_letter = next((d for d, source in sources.items() if source == name), None)
            hint = f"; redrive its dead-letter queue, {dead_letter}" if dead_letter else ""
            raise DevError(400, "VALIDATION_ERROR", "The request has invalid fields.",
                           [{"field": "name", "message": f"{name} is not a dead-letter queue{hint}."}])  # fmt: skip
        moved = move_messages(self.sqs, self.queue_urls[name], self.queue_urls[sources[name]])
        return json_response(200, ok({"queue": name, "movedTo": sources[name], "moved": moved}).model_dump(mode="json"),
                             request_id)  # fmt: skip


def queue_depths(sqs: Any, queue_urls: dict[str, str]) -> list[dict[str, Any]]:
    """Each queue's approximate depth, with its dead-letter queue and consumer named."""
    declared = template.queues()
    dead_letter = {q: p["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                   for q, p in declared.items() if p.get("RedrivePolicy")}  # fmt: skip
    consumers = {c.queue: c.function.logical_id for c in template.queue_consumers()}
    names = [f"ApproximateNumberOfMessages{suffix}" for suffix in ("", "NotVisible", "Delayed")]
    found = []
    for logical_id, url in queue_urls.items():
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        found.append({
            "queue": logical_id, "url": url, "visible": int(attributes.get(names[0], 0)),
            "inFlight": int(attributes.get(names[1], 0)), "delayed": int(attributes.get(names[2], 0)),
            "isDeadLetterQueue": logical_id in dead_letter.values(), "deadLetterQueue": dead_letter.get(logical_id),
            "consumer": consumers.get(logical_id),
        })  # fmt: skip
    return found


def dead_letter_sources() -> dict[str, str]:
    """Dead-letter queue -> the queue whose RedrivePolicy sends failed messages to it."""
    return {props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]: queue
            for queue, props in template.queues().items() if props.get("RedrivePolicy")}  # fmt: skip


def move_messages(sqs: Any, source_url: str, target_url: str, *, limit: int = 10_000) -> int:
    """Receive every message of ``source_url``, send it to ``target_url``, then delete it; how many moved.

    Bodies and message attributes are kept; the receive count starts again at 1, as after
    SQS's own redrive. A message is deleted only once it is on the target queue.
    """
    moved = 0
    while moved < limit:
        received = sqs.receive_message(QueueUrl=source_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       MessageAttributeNames=["All"], VisibilityTimeout=30)  # fmt: skip
        messages = received.get("Messages", [])
        if not messages:
            return moved
        entries = []
        for index, message in enumerate(messages):
            entry = {"Id": str(index), "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                entry["MessageAttributes"] = message["MessageAttributes"]
            entries.append(entry)
        sent = sqs.send_message_batch(QueueUrl=target_url, Entries=entries)
        done = {entry["Id"] for entry in sent.get("Successful", [])}
        if not done:
            raise RuntimeError(f"could not send to {target_url}: {sent.get('Failed')}")
        receipts = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages) if str(i) in done]  # fmt: skip
        sqs.delete_message_batch(QueueUrl=source_url, Entries=receipts)
        moved += len(done)
    return moved


# ---------------------------------------------------------------------------- HTTP


@dataclass
class ServerStats:
    requests: int = 0
    errors: int = 0  # 5xx answers
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status: int) -> None:
        with self._lock:
            self.requests += 1
            self.errors += status >= 500


def _read_chunked(rfile: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append(rfile.read(size))
        rfile.readline()


def _discard(rfile: Any, length: int) -> None:
    while length > 0:
        read = len(rfile.read(min(length, _READ_CHUNK)))
        if not read:
            return
        length -= read


class _Handler(BaseHTTPRequestHandler):
    """Reads the request, asks the dev routes then the Router, writes the answer, logs one line."""

    protocol_version = "HTTP/1.1"
    server_version = "SoukLocal"
    router: Router
    dev: DevApi
    stats: ServerStats
    log: Callable[[str], None]

    def _serve(self) -> None:
        started = time.perf_counter()
        path, _, query = self.path.partition("?")
        response = self._respond(path, query)
        self._write(response)
        self.stats.count(response.status)
        self.log(f"{self.command} {self.path} {response.status} {(time.perf_counter() - started) * 1000:.0f}ms")

    def _respond(self, path: str, query: str) -> HttpResponse:
        body = self._body()
        if body is None:
            return gateway_response("REQUEST_TOO_LARGE")
        request = Request(self.command.upper(), path, query, dict(self.headers.items()), body)
        try:
            answered = self.dev.handle(request)
            if answered is not None:
                return answered
            return self.router.handle(request.method, path, query=query, headers=request.headers, body=body,
                                      source_ip=self.client_address[0])  # fmt: skip
        except Exception:
            # The runner's own bug (handlers' failures are answered by the invoker): still JSON.
            logger.exception("%s %s failed", request.method, path)
            return gateway_response("DEFAULT_5XX", status=500)

    def _body(self) -> bytes | None:
        """The request body, or None when it is over API Gateway's limit (then drained unread)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = _read_chunked(self.rfile)
            return None if len(body) > MAX_PAYLOAD_BYTES else body
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            _discard(self.rfile, length)
            return None
        return self.rfile.read(length) if length else b""

    def _write(self, response: HttpResponse) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        # http.server dispatches to do_<METHOD> and answers HTML 501 when there is none: every
        # method (TRACE, FOO...) reaches the Router instead, which answers API Gateway's 404.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, huge headers) in the envelope too."""
        request_id = str(uuid.uuid4())
        current_request_id.set(request_id)
        error = "BAD_REQUEST" if code < 500 else "INTERNAL_ERROR"
        body = json.dumps(error_payload(error, message or "The request could not be read."),
                          separators=(",", ":")).encode()  # fmt: skip
        self.close_connection = True
        try:
            self.send_response(code, message)
            for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                ("X-Request-Id", request_id), ("Connection", "close")):  # fmt: skip
                self.send_header(name, value)
            self.end_headers()
            if getattr(self, "command", None) != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: ``_serve`` logs one line per request instead."""


class ApiServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that serves the API in its own thread until ``shutdown``."""

    daemon_threads = True
    allow_reuse_address = True
    # Bursts of parallel clients (the race tests send 200 at once) must not overflow the backlog.
    request_queue_size = 256

    def __init__(self, host: str, port: int, router: Router, dev: DevApi, log: Callable[[str], None]) -> None:
        self.stats = ServerStats()
        handler = type("Handler", (_Handler,), {"router": router, "dev": dev, "stats": self.stats,
                                                "log": staticmethod(log)})  # fmt: skip
        super().__init__((host, port), handler)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="http", daemon=True)  # fmt: skip

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        started = self._thread.ident is not None
        if started:
            self.shutdown()  # waits for serve_forever: never call it when that never ran
        self.server_close()
        if started:
            self._thread.join(timeout=5)
