"""The one way to build a route's resolver: envelope, error map, request ids, limits, CORS.

Every handler does ``app = create_app()`` and registers exactly one route on it.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths

from souk.http.caching import NotModified, not_modified_response
from souk.http.envelope import current_request_id, error_payload
from souk.http.errors import BadRequest, NotFound, PayloadTooLarge, SoukError, ValidationFailed
from souk.observability import logger, metrics, tracer
from souk.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

REQUEST_ID_HEADER = "X-Request-Id"
CORS = CORSConfig(
    allow_origin="*",
    allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Api-Key", "X-Cart-Token", "X-Request-Id"],
    expose_headers=["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"],
    max_age=600,
)


def error_response(error: SoukError) -> Response:
    """The envelope for a domain error, with its status and headers."""
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=error_payload(error.code, error.message, error.details, error.data),
        headers=error.headers,
    )


def _validation_details(exc: RequestValidationError) -> list[dict[str, str]]:
    details = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = ".".join(loc) or str((err.get("loc") or ("body",))[0])
        details.append({"field": field, "message": str(err.get("msg", "Invalid value"))})
    return details


def _on_request_validation(exc: RequestValidationError) -> Response:
    # Powertools answers 422 with a body outside our contract; the contract says 400.
    types = {err.get("type") for err in exc.errors()}
    if "json_invalid" in types:
        return error_response(BadRequest("The body is not valid JSON."))
    return error_response(ValidationFailed(details=_validation_details(exc)))


def _on_unexpected(exc: Exception) -> Response:
    # Logged with the stack trace; the client sees no internals.
    logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
    return error_response(SoukError())


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
    return None


def _request_id(event: Mapping[str, Any]) -> str:
    from_gateway = (event.get("requestContext") or {}).get("requestId")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return str(from_gateway or headers.get(REQUEST_ID_HEADER.lower()) or uuid.uuid4())


class SoukResolver(APIGatewayRestResolver):
    """REST resolver that stamps every answer, errors included, with the request id."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        request_id = _request_id(event)
        current_request_id.set(request_id)
        logger.append_keys(request_id=request_id)
        problem = _body_problem(event)
        if problem is None:
            result = super().resolve(event, context)
        else:
            result = {
                "statusCode": problem.status,
                "multiValueHeaders": {
                    "Content-Type": [content_types.APPLICATION_JSON],
                    "Access-Control-Allow-Origin": ["*"],
                },
                "body": json.dumps(error_payload(problem.code, problem.message), separators=(",", ":")),
                "isBase64Encoded": False,
            }
        result.setdefault("multiValueHeaders", {})[REQUEST_ID_HEADER] = [request_id]
        return result


def create_app(**resolver_options: Any) -> APIGatewayRestResolver:
    """A REST resolver wired with Souk's envelope, error map and request ids."""
    # A response that breaks its own schema is our bug: 500, logged, never a client 400.
    app = SoukResolver(enable_validation=True, cors=CORS, response_validation_error_http_code=500, **resolver_options)
    app.exception_handler(SoukError)(error_response)
    # Caching GET routes raise NotModified: a 304 with no body (see souk.http.caching).
    app.exception_handler(NotModified)(not_modified_response)
    app.exception_handler(RequestValidationError)(_on_request_validation)
    app.exception_handler(RequestUnsupportedContentType)(
        lambda _exc: error_response(BadRequest("Send the body as application/json."))
    )
    app.exception_handler(Exception)(_on_unexpected)
    app.not_found(lambda _exc: error_response(NotFound("No such route.")))
    return app


def entrypoint(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler for a route's ``app``, with logging, metrics and tracing applied."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler
