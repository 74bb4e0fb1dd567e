"""Match HTTP requests to the template's routes and invoke the real handlers.

Used by the local runner and by the route tests, so both reach handlers exactly as
API Gateway would: same event shape, same gateway responses for unknown routes. How
the handler runs is the invoker's business: the route tests call it in their own
process (:func:`invoke_http`, fast, moto-friendly); the runner hands the event to the
function's execution environments (:func:`through_environments`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from infra import handlers, template
from infra.local.events import LambdaContext, api_event, path_pattern

if TYPE_CHECKING:
    from infra.local.environments import EnvironmentPool

# API Gateway's hard limit on a request payload.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Router:
    routes: list[template.Route] = field(default_factory=template.routes)
    # (route, event) -> the answer; in-process by default, the runner's environments otherwise.
    invoke: Callable[[template.Route, dict[str, Any]], HttpResponse] = field(
        default_factory=lambda: in_process)  # fmt: skip

    def __post_init__(self) -> None:
        # Literal segments beat parameters, as in API Gateway: /users/me before /users/{id}.
        ordered = sorted(self.routes, key=lambda r: (r.path.count("{"), -len(r.path)))
        self._compiled = [(path_pattern(r.path), r) for r in ordered]

    def match(self, method: str, path: str) -> tuple[template.Route, dict[str, str]] | None:
        for pattern, route in self._compiled:
            found = pattern.match(path)
            if found and route.method in (method.upper(), "ANY"):
                return route, found.groupdict()
        return None

    def handle(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        source_ip: str = "127.0.0.1",
    ) -> HttpResponse:
        """Answer one HTTP request the way API Gateway plus the route's Lambda would."""
        if body and len(body) > MAX_PAYLOAD_BYTES:
            return gateway_response("REQUEST_TOO_LARGE")
        if method.upper() == "OPTIONS" and not self.match("OPTIONS", path):
            return _preflight(headers or {})
        matched = self.match(method, path)
        if matched is None:
            return gateway_response("MISSING_AUTHENTICATION_TOKEN")
        route, params = matched
        event = api_event(method, route.path, path, path_parameters=params, query=query, headers=headers,
                          body=body, source_ip=source_ip)  # fmt: skip
        return self.invoke(route, event)


def in_process(route: template.Route, event: dict[str, Any]) -> HttpResponse:
    return invoke_http(route.function, event)


def invoke_http(function: template.Function, event: dict[str, Any]) -> HttpResponse:
    """Call the handler in this process (the route tests' way): fast, and moto's mocks apply."""
    module = handlers.load(function)
    try:
        result = getattr(module, function.handler_name)(event, LambdaContext(function.logical_id))
    except Exception:
        # A crashed Lambda: API Gateway answers 502, shaped by DEFAULT_5XX. Lambda logs the
        # traceback, so do we: locally it is the only clue to what broke.
        logging.getLogger(__name__).exception("%s crashed", function.logical_id)
        return gateway_response("DEFAULT_5XX", request_id=event["requestContext"]["requestId"], status=502)
    return proxy_response(result, event["requestContext"]["requestId"])


def proxy_response(result: Any, request_id: str) -> HttpResponse:
    """A Lambda proxy integration result as the HTTP answer; a malformed one is API Gateway's 502."""
    try:
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[str(key)] = ", ".join(str(value) for value in values)
        raw = result.get("body") or ""
        if result.get("isBase64Encoded"):
            import base64

            body = base64.b64decode(raw)
        else:
            body = str(raw).encode()
        return HttpResponse(int(result["statusCode"]), headers, body)
    except (AttributeError, KeyError, TypeError, ValueError):
        logging.getLogger(__name__).error("malformed Lambda proxy response: %.300r", result)
        return gateway_response("DEFAULT_5XX", request_id=request_id, status=502)


def through_environments(pool: EnvironmentPool) -> Callable[[template.Route, dict[str, Any]], HttpResponse]:
    """The runner's invoker: each route's function in its own execution environments.

    API Gateway waits the route's integration timeout (29 s unless ``TimeoutInMillis``), for
    an environment to be free and for the function alike; then it answers 504 while the
    function runs on. A function that raised, crashed or hit its own ``Timeout`` is 502.
    No environment free in that time is Lambda's throttle, which API Gateway turns into 500.
    """

    def invoke(route: template.Route, event: dict[str, Any]) -> HttpResponse:
        request_id = event["requestContext"]["requestId"]
        patience = route.timeout_ms / 1000
        done = pool.invoke(route.function.logical_id, event, wait=patience, gateway_timeout=patience)
        if done.ok:
            return proxy_response(done.payload, request_id)
        if done.outcome == "gateway_timeout":
            return gateway_response("INTEGRATION_TIMEOUT", request_id=request_id)
        status = 500 if done.outcome == "throttled" else 502
        return gateway_response("DEFAULT_5XX", request_id=request_id, status=status)

    return invoke


# API Gateway's own status for the response types we render, when the template sets none.
DEFAULT_STATUS = {"MISSING_AUTHENTICATION_TOKEN": 403, "RESOURCE_NOT_FOUND": 404, "REQUEST_TOO_LARGE": 413,
                  "THROTTLED": 429, "BAD_REQUEST_BODY": 400, "INTEGRATION_TIMEOUT": 504, "DEFAULT_4XX": 400,
                  "DEFAULT_5XX": 500}  # fmt: skip


def gateway_response(kind: str, *, request_id: str | None = None, status: int | None = None) -> HttpResponse:
    """Render one of the template's GatewayResponses, as API Gateway would.

    ``status`` is the one API Gateway itself would answer (502 for a crashed Lambda): a
    response type whose template sets no ``StatusCode`` keeps it, as in AWS.
    """
    import uuid

    spec = template.gateway_responses()[kind]
    request_id = request_id or str(uuid.uuid4())
    body = spec["ResponseTemplates"]["application/json"]
    body = body.replace("$context.requestId", request_id)
    body = body.replace("$context.requestTime", datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z")
    body = body.replace("$context.error.messageString", "Bad request")
    headers = {"Content-Type": "application/json", "X-Request-Id": request_id}
    for name, value in (spec.get("ResponseParameters", {}).get("Headers") or {}).items():
        headers[name] = re.sub(r"^'(.*)'$", r"\1", str(value))
    answered = spec.get("StatusCode") or status or DEFAULT_STATUS.get(kind, 500)
    return HttpResponse(int(answered), headers, body.encode())


def _preflight(headers: dict[str, str]) -> HttpResponse:
    """API Gateway's own CORS preflight answer, from the template's Cors settings."""
    import uuid

    api = next(iter(template.resources("AWS::Serverless::Api").values()))
    cors = api["Properties"].get("Cors", {})
    names = {"AllowOrigin": "Origin", "AllowMethods": "Methods", "AllowHeaders": "Headers", "MaxAge": "Max-Age"}
    out = {f"Access-Control-Allow-{names[k]}" if k != "MaxAge" else "Access-Control-Max-Age": str(v).strip("'")
           for k, v in cors.items() if k in names}  # fmt: skip
    out["X-Request-Id"] = str(uuid.uuid4())
    return HttpResponse(204, out, b"")
