"""The contract's response envelope, as pydantic models (they feed the OpenAPI document)."""

from __future__ import annotations

import contextvars
import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

T = TypeVar("T")

# Set per request by the resolver's middleware; read when building ``meta``.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("current_request_id", default="-")


class CamelModel(BaseModel):
    """Base for every API schema: snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


# Free text that must say something: surrounding spaces dropped, all-blank refused (400).
NonBlankText = Annotated[str, AfterValidator(_not_blank)]

# Every control character, tab and line breaks included. Bodies and query strings are
# already refused the others by souk.http.guard; single-line fields refuse these too.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _one_line(value: str) -> str:
    if _CONTROLS.search(value):
        raise ValueError("must be one line: no line breaks, tabs or other control characters")
    return value


# Text that is one line (names, titles, labels, codes, address lines): tabs and line breaks
# are a 400. Add ``OneLine`` to an existing ``Annotated`` or use ``OneLineText``; text that
# may span lines (descriptions, reasons, bios, messages) keeps plain ``str``.
OneLine = AfterValidator(_one_line)
OneLineText = Annotated[str, OneLine]


class PatchModel(CamelModel):
    """Base of PATCH bodies: every field optional, but an empty body is a 400, not a silent no-op.

    Fields that may be changed but not cleared list themselves in ``not_nullable`` (a JSON
    ``null`` for them is a 400 on that field).
    """

    not_nullable: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _changes_something(self) -> PatchModel:
        if not self.model_fields_set:
            raise ValueError("Send at least one field to change.")
        cleared = [name for name in self.not_nullable if name in self.model_fields_set and getattr(self, name) is None]
        if cleared:
            from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

            errors = [InitErrorDetails(type=PydanticCustomError("not_nullable", "This field cannot be removed."),
                                       loc=(type(self).model_fields[name].alias or name,), input=None)
                      for name in cleared]  # fmt: skip
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


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
    from aws_lambda_powertools.event_handler import Response, content_types

    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=body.model_dump(mode="json", by_alias=True), headers=headers or {})  # fmt: skip
