"""The contract's response envelope, as pydantic models (they feed the OpenAPI document).

The base models and field types of the bodies inside it are :mod:`souk.schema`'s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, Field

from souk.context import current_request_id
from souk.schema import CamelModel

T = TypeVar("T")


class Meta(CamelModel):
    request_id: str
    timestamp: str


class Pagination(CamelModel):
    limit: int
    next_cursor: str | None
    has_next: bool
    total: int | None = Field(None, description="Only where a counter is kept.")


class ErrorDetail(CamelModel):
    field: str
    message: str


class ErrorBody(CamelModel):
    code: str
    message: str
    details: list[ErrorDetail] | None = None


class Envelope(CamelModel, Generic[T]):
    success: bool = True
    data: T
    meta: Meta


class PageEnvelope(CamelModel, Generic[T]):
    success: bool = True
    data: list[T]
    pagination: Pagination
    meta: Meta


class ErrorEnvelope(CamelModel):
    success: bool = False
    error: ErrorBody
    data: dict[str, Any] | None = None
    meta: Meta


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_meta() -> Meta:
    return Meta(request_id=current_request_id.get(), timestamp=utc_now_iso())


def ok(data: T) -> Envelope[T]:
    """Wrap one resource (or any JSON value) in the success envelope."""
    return Envelope[Any](data=data, meta=make_meta())


def page(items: list[T], *, limit: int, next_cursor: str | None, total: int | None = None) -> PageEnvelope[T]:
    """Wrap one page of a list in the list envelope."""
    pagination = Pagination(limit=limit, next_cursor=next_cursor, has_next=next_cursor is not None, total=total)
    return PageEnvelope[Any](data=items, pagination=pagination, meta=make_meta())


def error_payload(
    code: str,
    message: str,
    details: list[dict[str, str]] | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The error envelope as a plain dict (used by exception handlers and gateway responses)."""
    body = ErrorEnvelope(
        error=ErrorBody(code=code, message=message, details=[ErrorDetail(**d) for d in details] if details else None),
        data=data,
        meta=make_meta(),
    )
    return body.model_dump(mode="json", exclude_none=True)


def respond(body: BaseModel, *, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    """A Powertools Response for routes that set headers (rate limits, caching) or vary the status."""
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=body.model_dump(mode="json", by_alias=True), headers=headers or {})  # fmt: skip
