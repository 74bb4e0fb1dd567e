"""Domain errors, one class per contract error code.

Part of the core: raise these anywhere in the layer; :mod:`souk.http.errors` maps them to
the contract's envelope in one place. Messages are for clients: never put internals in them.
"""

from __future__ import annotations

from typing import Any


class SoukError(Exception):
    """Base of every error the API answers on purpose."""

    status: int = 500
    code: str = "INTERNAL_ERROR"
    default_message: str = "Something went wrong on our side."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, str]] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.data = data
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationFailed(SoukError):
    status, code, default_message = 400, "VALIDATION_ERROR", "The request has invalid fields."

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(details=[{"field": field, "message": message}])


class BadRequest(SoukError):
    status, code, default_message = 400, "BAD_REQUEST", "The request could not be read."


class Unauthorized(SoukError):
    status, code, default_message = 401, "UNAUTHORIZED", "Sign in to do this."


class InvalidToken(SoukError):
    status, code, default_message = 401, "INVALID_TOKEN", "The token is invalid, expired or revoked."


class InvalidCredentials(SoukError):
    status, code, default_message = 401, "INVALID_CREDENTIALS", "Email or password is wrong."


class MfaRequired(SoukError):
    status, code, default_message = 401, "MFA_REQUIRED", "A second factor is required."


class Forbidden(SoukError):
    status, code, default_message = 403, "FORBIDDEN", "You are not allowed to do this."


class AccountSuspended(SoukError):
    status, code, default_message = 403, "ACCOUNT_SUSPENDED", "This account is suspended."


class AccountNotVerified(SoukError):
    status, code, default_message = 403, "ACCOUNT_NOT_VERIFIED", "Verify your account first."


class NotFound(SoukError):
    status, code, default_message = 404, "NOT_FOUND", "Not found."


class Conflict(SoukError):
    status, code, default_message = 409, "CONFLICT", "The request conflicts with the current state."


class DuplicateEntry(Conflict):
    code, default_message = "DUPLICATE_ENTRY", "It already exists."


class IdempotencyConflict(Conflict):
    code, default_message = "IDEMPOTENCY_CONFLICT", "This Idempotency-Key was used with a different request."


class InsufficientStock(Conflict):
    code, default_message = "INSUFFICIENT_STOCK", "Not enough stock."


class InsufficientFunds(Conflict):
    code, default_message = "INSUFFICIENT_FUNDS", "Not enough funds."


class InvalidState(Conflict):
    code, default_message = "INVALID_STATE", "That change is not allowed in the current state."


class PayloadTooLarge(SoukError):
    status, code, default_message = 413, "PAYLOAD_TOO_LARGE", "The request body is too large."


class UnprocessableEntity(SoukError):
    status, code, default_message = 422, "UNPROCESSABLE_ENTITY", "The request breaks a business rule."


class RateLimitExceeded(SoukError):
    status, code, default_message = 429, "RATE_LIMIT_EXCEEDED", "Too many requests; retry later."

    def __init__(self, retry_after: int, *, limit: int, reset_epoch: int, message: str | None = None) -> None:
        super().__init__(
            message,
            headers={
                "Retry-After": str(retry_after),
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset_epoch),
            },
        )


class InternalError(SoukError):
    pass


class UpstreamError(SoukError):
    status, code, default_message = 502, "UPSTREAM_ERROR", "A provider we depend on failed; retry later."


class ServiceUnavailable(SoukError):
    status, code, default_message = 503, "SERVICE_UNAVAILABLE", "The service is unavailable; retry later."


# Every status and code of the contract, for the OpenAPI document and tests.
ALL_ERRORS: tuple[type[SoukError], ...] = (
    ValidationFailed, BadRequest, Unauthorized, InvalidToken, InvalidCredentials, MfaRequired,
    Forbidden, AccountSuspended, AccountNotVerified, NotFound, Conflict, DuplicateEntry,
    IdempotencyConflict, InsufficientStock, InsufficientFunds, InvalidState, PayloadTooLarge,
    UnprocessableEntity, RateLimitExceeded, InternalError, UpstreamError, ServiceUnavailable,
)  # fmt: skip
