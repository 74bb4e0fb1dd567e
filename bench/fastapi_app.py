"""The reference a per-route Lambda is measured against: one FastAPI app behind Mangum.

A realistic "monolith" Lambda serving every API route of template.yaml from one FastAPI
app: the same envelope as Souk (pydantic models, camelCase on the wire), request ids,
one error map, and the same work for the system routes (health checks the table,
buckets and queues with boto3). A route without a hand-written endpoint here gets a
generic one that validates its path parameters and answers in the envelope, so the app
grows with the template and its cold start always counts every route.

It must import on its own (fastapi, mangum, pydantic, boto3): the bench loads it by
path in a fresh process, the way Lambda loads a handler, with no repository on
sys.path. The route list comes from a JSON manifest (``SOUK_ROUTES_FILE``) the bench
writes, as a build step would bake it in; without one it asks ``infra.template``.
"""

from __future__ import annotations

import functools
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from mangum import Mangum
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from starlette.exceptions import HTTPException

T = TypeVar("T")
Endpoint = Callable[..., Any]

ROUTES_FILE_ENV = "SOUK_ROUTES_FILE"
_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "NOT_FOUND",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    422: "UNPROCESSABLE_ENTITY",
    429: "RATE_LIMIT_EXCEEDED",
    503: "SERVICE_UNAVAILABLE",
}
_FAST = Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1})


# ---------------------------------------------------------------- models, as Souk's


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class Meta(CamelModel):
    request_id: str
    timestamp: str


class Envelope(CamelModel, Generic[T]):
    success: bool = True
    data: T
    meta: Meta


class ErrorDetail(CamelModel):
    field: str
    message: str


class ErrorBody(CamelModel):
    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorEnvelope(CamelModel):
    success: bool = False
    error: ErrorBody
    data: dict[str, Any] | None = None
    meta: Meta


class Settings(BaseModel):
    """The environment, parsed once (the same variables Souk's functions get)."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    stage: str = Field("local", alias="SOUK_STAGE")
    table_name: str = Field("souk", alias="TABLE_NAME")
    uploads_bucket: str = Field("souk-uploads", alias="UPLOADS_BUCKET")
    exports_bucket: str = Field("souk-exports", alias="EXPORTS_BUCKET")
    email_queue_url: str = Field("", alias="EMAIL_QUEUE_URL")
    payouts_queue_url: str = Field("", alias="PAYOUTS_QUEUE_URL")
    exports_queue_url: str = Field("", alias="EXPORTS_QUEUE_URL")
    version: str = Field("0.0.0-dev", alias="SOUK_VERSION")
    git_sha: str = Field("unknown", alias="GIT_SHA")
    build_time: str = Field("unknown", alias="BUILD_TIME")


class VersionInfo(CamelModel):
    version: str
    git_sha: str
    build_time: str
    stage: str


class CheckResult(CamelModel):
    ok: bool
    latency_ms: int
    error: str | None = None


class HealthReport(CamelModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, CheckResult]


class Resource(CamelModel):
    """What the generic endpoint answers: the route and its validated path parameters."""

    route: str
    params: dict[str, str]


@functools.cache
def get_settings() -> Settings:
    known = {f.alias for f in Settings.model_fields.values() if f.alias}
    return Settings.model_validate({k: v for k, v in os.environ.items() if k in known})


def _meta(request: Request) -> Meta:
    request_id = getattr(request.state, "request_id", "-")
    return Meta(request_id=request_id, timestamp=datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z")


def ok(request: Request, data: T) -> Envelope[T]:
    return Envelope[Any](data=data, meta=_meta(request))


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    details: list[ErrorDetail] | None = None,
    data: dict[str, Any] | None = None,
) -> JSONResponse:
    body = ErrorEnvelope(error=ErrorBody(code=code, message=message, details=details), data=data, meta=_meta(request))
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status)


# ---------------------------------------------------------------- endpoints written by hand

ENDPOINTS: dict[tuple[str, str], Endpoint] = {}


def endpoint(method: str, path: str) -> Callable[[Endpoint], Endpoint]:
    """Register the implementation of one template route."""

    def register(function: Endpoint) -> Endpoint:
        ENDPOINTS[(method, path)] = function
        return function

    return register


@functools.cache
def _client(service: str) -> Any:
    return boto3.client(service, config=_FAST)  # type: ignore[call-overload]


def _run_check(check: Callable[[], object]) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except ClientError as exc:
        error: str | None = exc.response.get("Error", {}).get("Code", "ClientError")
    except (BotoCoreError, ValueError) as exc:
        error = type(exc).__name__
    else:
        error = None
    return CheckResult(ok=error is None, latency_ms=round((time.perf_counter() - started) * 1000), error=error)


def _queue_check(url: str) -> Callable[[], object]:
    return lambda: _client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])


@endpoint("GET", "/api/health")
def health(request: Request) -> Any:
    s = get_settings()
    checks: dict[str, Callable[[], object]] = {
        "table": lambda: _client("dynamodb").get_item(
            TableName=s.table_name, Key={"pk": {"S": "HEALTH"}, "sk": {"S": "HEALTH"}}
        ),
        "uploadsBucket": lambda: _client("s3").head_bucket(Bucket=s.uploads_bucket),
        "exportsBucket": lambda: _client("s3").head_bucket(Bucket=s.exports_bucket),
    }
    queues = {"emailQueue": s.email_queue_url, "payoutsQueue": s.payouts_queue_url, "exportsQueue": s.exports_queue_url}
    for name, url in queues.items():
        checks[name] = _queue_check(url)
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        results = dict(zip(checks, pool.map(_run_check, checks.values()), strict=True))
    status: Literal["ok", "degraded"] = "ok" if all(r.ok for r in results.values()) else "degraded"
    report = HealthReport(status=status, checks=results)
    if status != "ok":
        return error_response(
            request, 503, "SERVICE_UNAVAILABLE", "A dependency is unreachable.", data=report.model_dump(mode="json")
        )
    return ok(request, report)


@endpoint("GET", "/api/version")
def version(request: Request) -> Envelope[VersionInfo]:
    s = get_settings()
    return ok(request, VersionInfo(version=s.version, git_sha=s.git_sha, build_time=s.build_time, stage=s.stage))


@endpoint("GET", "/api/openapi.json")
def openapi(request: Request) -> Response:
    # FastAPI's usual way: the document is generated from the routes on first request.
    body = json.dumps(request.app.openapi(), separators=(",", ":"))
    return Response(body, media_type="application/json", headers={"Cache-Control": "public, max-age=300"})


@endpoint("GET", "/api/docs")
def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/api/openapi.json", title="Souk API")


def generic(request: Request) -> Envelope[Resource]:
    """Any route not written by hand: path parameters validated, answered in the envelope."""
    params = {k: str(v) for k, v in request.path_params.items()}
    return ok(request, Resource(route=request.scope["route"].path, params=params))


# ---------------------------------------------------------------- the app


def fastapi_path(path: str) -> str:
    """API Gateway path template to FastAPI's: ``{proxy+}`` becomes ``{proxy:path}``."""
    return path.replace("+}", ":path}")


def load_routes() -> list[dict[str, str]]:
    """The template's API routes: from the bench's manifest, else from the template."""
    manifest = os.environ.get(ROUTES_FILE_ENV)
    if manifest:
        with open(manifest, encoding="utf-8") as handle:
            return list(json.load(handle))
    from infra import template  # only outside the bench: a deployed monolith has its routes in code

    return [{"method": r.method, "path": r.path, "name": r.function.logical_id} for r in template.routes()]


async def _request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    from_gateway = (request.scope.get("aws.event") or {}).get("requestContext", {}).get("requestId")
    request.state.request_id = from_gateway or request.headers.get("x-request-id") or str(uuid.uuid4())
    response = await call_next(request)
    response.headers["X-Request-Id"] = request.state.request_id
    return response


def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return error_response(request, status, _STATUS_CODES.get(status, "INTERNAL_ERROR"), str(getattr(exc, "detail", "")))


def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    details = [
        ErrorDetail(field=".".join(str(p) for p in e.get("loc", ())[1:]) or "body", message=str(e.get("msg")))
        for e in errors
    ]
    return error_response(request, 400, "VALIDATION_ERROR", "The request has invalid fields.", details=details)


def _tag(path: str) -> str:
    """The OpenAPI tag, as Souk's handlers set it: the domain, or System for /api/*."""
    parts = path.split("/")
    return parts[3].title() if path.startswith("/api/v1/") and len(parts) > 3 else "System"


def create_app(routes: list[dict[str, str]]) -> FastAPI:
    """One FastAPI app with every route, the envelope's error map and request ids."""
    app = FastAPI(title="Souk API", version=get_settings().version, docs_url=None, redoc_url=None, openapi_url=None)
    app.middleware("http")(_request_id)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    for route in routes:
        method, path = route["method"], route["path"]
        function = ENDPOINTS.get((method, path), generic)
        methods = None if method == "ANY" else [method]
        app.add_api_route(fastapi_path(path), function, methods=methods, name=route.get("name"), tags=[_tag(path)])
    return app


app = create_app(load_routes())
handler = Mangum(app, lifespan="off")
