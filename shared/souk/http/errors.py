"""The one error map: domain errors (:mod:`souk.errors`) and request failures as contract answers.

A :class:`~souk.errors.SoukError` leaves with its status, code, message, details and
headers; Powertools' request validation (a 422 outside our contract) becomes our 400
``VALIDATION_ERROR`` with field details, or ``BAD_REQUEST`` for a body that is not JSON;
anything unexpected is logged with its trace and answered 500 without internals.
:func:`souk.http.resolver.create_app` registers these handlers.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from souk.errors import BadRequest, SoukError, ValidationFailed
from souk.http.envelope import error_payload
from souk.observability import logger


def error_response(error: SoukError) -> Response:
    """The envelope for a domain error, with its status and headers."""
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=error_payload(error.code, error.message, error.details, error.data),
        headers=error.headers,
    )


# pydantic's types for "this is not an object": a body that is an array, a string or a number.
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "model_type", "dict_type"})


def _validation_details(exc: RequestValidationError) -> list[dict[str, str]]:
    details = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = ".".join(loc) or str((err.get("loc") or ("body",))[0])
        message = str(err.get("msg", "Invalid value"))
        if err.get("type") in _NOT_AN_OBJECT:
            message = "Send a JSON object here."
        details.append({"field": field, "message": message})
    return details


def on_request_validation(exc: RequestValidationError) -> Response:
    """Powertools answers 422 with a body outside our contract; the contract says 400."""
    types = {err.get("type") for err in exc.errors()}
    if "json_invalid" in types:
        return error_response(BadRequest("The body is not valid JSON."))
    return error_response(ValidationFailed(details=_validation_details(exc)))


def on_unexpected(exc: Exception) -> Response:
    """Logged with the stack trace; the client sees no internals."""
    logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
    return error_response(SoukError())
