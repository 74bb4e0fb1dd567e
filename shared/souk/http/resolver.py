"""The one way to build a route's resolver: envelope, error map, request ids, limits, CORS.

Every handler does ``app = create_app()`` and registers exactly one route on it. Every
answer, errors included, leaves through :meth:`SoukResolver.resolve`, which stamps it with
the request id, the security headers (:data:`SECURITY_HEADERS`, ``Cache-Control:
no-store`` unless the route set its own caching) and the CORS headers (:class:`SoukCORS`).
Bodies are parsed by :mod:`souk.http.guard` before pydantic sees them.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import json
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths

from souk import coldstart
from souk.context import current_request_id
from souk.errors import BadRequest, NotFound, PayloadTooLarge, SoukError
from souk.http.caching import NotModified, not_modified_response
from souk.http.envelope import error_payload
from souk.http.errors import error_response, on_request_validation, on_unexpected
from souk.http.guard import parse_body, query_problem
from souk.observability import logger, metrics
from souk.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

REQUEST_ID_HEADER = "X-Request-Id"
# On every answer. The frame rules matter for the HTML docs page and cost nothing on JSON.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
# Unless the route sets its own (public product reads with an ETag, the OpenAPI document):
# answers carrying tokens or personal data must never be kept by a browser or a proxy.
DEFAULT_CACHE_CONTROL = "no-store"
# Headers that make a request personal: its answer is never a "public read".
CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-cart-token")

# Set per request by SoukResolver.resolve: a GET or HEAD sent without credentials.
_public_read: contextvars.ContextVar[bool] = contextvars.ContextVar("public_read", default=False)


class SoukCORS(CORSConfig):
    """CORS from configuration (``Settings.cors_origins``), read per request.

    The request's ``Origin`` is echoed only when it is listed exactly; ``null`` never is.
    ``*`` in the list admits other origins only for public reads (GET/HEAD without
    ``Authorization``, ``X-Api-Key`` or ``X-Cart-Token``), answered ``*``. Credentials
    (cookies) are never allowed: the API authenticates with headers.
    """

    def allowed_origin(self, extracted_origin: str | None) -> str | None:
        if not extracted_origin or extracted_origin.lower() == "null":
            return None
        origins = get_settings().cors_origins
        if extracted_origin in origins:
            return extracted_origin
        if "*" in origins and _public_read.get():
            return "*"
        return None

    def to_dict(self, origin: str | None) -> dict[str, str]:
        # ``origin`` is what allowed_origin() admitted; Powertools' own check would read a static list.
        if not origin:
            return {}
        headers = {"Access-Control-Allow-Origin": origin,
                   "Access-Control-Allow-Headers": CORSConfig.build_allow_methods(self.allow_headers)}  # fmt: skip
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        return headers

    def headers_for(self, event: Mapping[str, Any]) -> dict[str, str]:
        """The CORS headers for an answer the resolver builds itself (a refused body)."""
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        return self.to_dict(self.allowed_origin(headers.get("origin")))


CORS = SoukCORS(
    allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Api-Key", "X-Cart-Token", "X-Request-Id"],
    expose_headers=["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"],
    max_age=600,
)


FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def _body_problem(event: Mapping[str, Any]) -> SoukError | None:
    """Refuse bodies that are too large or undecodable before any parsing happens."""
    raw = event.get("body")
    if not raw:
        return None
    encoded = bool(event.get("isBase64Encoded"))
    size = len(raw) * 3 // 4 if encoded else len(raw.encode())
    if size > get_settings().max_body_bytes:
        return PayloadTooLarge()
    if encoded:
        try:
            base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return BadRequest("The body is not valid UTF-8 text.")
    # Every body here is JSON. Powertools would parse form and multipart bodies itself, and
    # a multipart type without a boundary raises inside it: refuse them before it tries.
    content_type = next((str(v) for k, v in (event.get("headers") or {}).items() if k.lower() == "content-type"), "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in FORM_TYPES:
        return BadRequest("Send the body as application/json.")
    return None


def _request_id(event: Mapping[str, Any]) -> str:
    from_gateway = (event.get("requestContext") or {}).get("requestId")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return str(from_gateway or headers.get(REQUEST_ID_HEADER.lower()) or uuid.uuid4())


def _is_public_read(event: Mapping[str, Any]) -> bool:
    headers = {k.lower() for k, v in (event.get("headers") or {}).items() if v}
    method = str(event.get("httpMethod") or "").upper()
    return method in ("GET", "HEAD") and not headers.intersection(CREDENTIAL_HEADERS)


def _secure(result: dict[str, Any], request_id: str) -> dict[str, Any]:
    """The request id and the security headers, on an answer however it was built."""
    multi = result.setdefault("multiValueHeaders", {})
    present = {name.lower() for name in (*multi, *(result.get("headers") or {}))}
    multi[REQUEST_ID_HEADER] = [request_id]
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            multi[name] = [value]
    if "cache-control" not in present:
        multi["Cache-Control"] = [DEFAULT_CACHE_CONTROL]
    if "vary" not in present:  # what CORS answers depends on the Origin: shared caches must key on it
        multi["Vary"] = ["Origin"]
    return result


class SoukResolver(APIGatewayRestResolver):
    """REST resolver that stamps every answer, errors included, with the request id and security headers."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        request_id = _request_id(event)
        current_request_id.set(request_id)
        logger.append_keys(request_id=request_id)
        _public_read.set(_is_public_read(event))
        problem = _body_problem(event) or query_problem(event)
        if problem is None:
            result = super().resolve(event, context)
        else:
            headers = {"Content-Type": content_types.APPLICATION_JSON, **CORS.headers_for(event)}
            body = error_payload(problem.code, problem.message, problem.details)
            result = {
                "statusCode": problem.status,
                "multiValueHeaders": {name: [value] for name, value in headers.items()},
                "body": json.dumps(body, separators=(",", ":")),
                "isBase64Encoded": False,
            }
        return _secure(result, request_id)


def create_app(**resolver_options: Any) -> APIGatewayRestResolver:
    """A REST resolver wired with Souk's envelope, error map and request ids."""
    # A response that breaks its own schema is our bug: 500, logged, never a client 400.
    app = SoukResolver(enable_validation=True, cors=CORS, response_validation_error_http_code=500,
                       json_body_deserializer=parse_body, **resolver_options)  # fmt: skip
    app.exception_handler(SoukError)(error_response)
    # Caching GET routes raise NotModified: a 304 with no body (see souk.http.caching).
    app.exception_handler(NotModified)(not_modified_response)
    app.exception_handler(RequestValidationError)(on_request_validation)
    app.exception_handler(RequestUnsupportedContentType)(
        lambda _exc: error_response(BadRequest("Send the body as application/json."))
    )
    app.exception_handler(Exception)(on_unexpected)
    app.not_found(lambda _exc: error_response(NotFound("No such route.")))
    return app


def entrypoint(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler for a route's ``app``, with logging and metrics applied (tracing: souk.observability)."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    coldstart.init_done()  # the function's imports are done: resume garbage collection
    return lambda_handler
