"""Base models and shared field types of every API schema (part of the core).

Request and response bodies subclass :class:`CamelModel` (a PATCH body :class:`PatchModel`);
free text uses :data:`NonBlankText` and single-line text :data:`OneLine`. List queries
subclass :class:`PageQuery`. The envelope that wraps answers is :mod:`souk.http.envelope`'s.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError


class CamelModel(BaseModel):
    """Base for every API schema: snake_case in Python, camelCase on the wire.

    Built on first use (``defer_build``), not at import: a handler imports whole domain
    modules but validates and serializes a few of their models, and building one costs
    ~1 ms of a cold start. What a route uses is built by its first request.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, defer_build=True
    )


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
            errors = [InitErrorDetails(type=PydanticCustomError("not_nullable", "This field cannot be removed."),
                                       loc=(type(self).model_fields[name].alias or name,), input=None)
                      for name in cleared]  # fmt: skip
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageQuery(CamelModel):
    """``limit`` and ``cursor`` as every list route accepts them."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)
