"""Base models and shared field types of every API schema (part of the core).

Request and response bodies subclass :class:`CamelModel` (a PATCH body :class:`PatchModel`);
free text uses :data:`NonBlankText` and single-line text :data:`OneLine`. List queries
subclass :class:`PageQuery`; a place is a :class:`PostalAddress` (a store's, a delivery
address's). The envelope that wraps answers is :mod:`souk.http.envelope`'s.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
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


# ISO 3166-1 alpha-2: every officially assigned code.
_ISO_3166_ALPHA_2 = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO "
    "FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE "
    "JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO "
    "MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW "
    "PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM "
    "TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
)
COUNTRIES = frozenset(_ISO_3166_ALPHA_2.split())


def one_line_text(max_length: int) -> Any:
    """Single-line text of 1 to ``max_length`` characters, surrounding spaces dropped."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length), OneLine]


AddressLine = one_line_text(200)
City = one_line_text(100)
PostalCode = one_line_text(20)
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


def country_code(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case (a validator: anything else is a 400 on the field)."""
    if value is None:
        return None
    code = value.strip().upper()
    if code not in COUNTRIES:
        raise ValueError("Use an ISO 3166-1 alpha-2 country code, e.g. EG or FR.")
    return code


class PostalAddress(CamelModel):
    """A place: its postal address and its coordinates."""

    line1: AddressLine  # type: ignore[valid-type]
    line2: AddressLine | None = None  # type: ignore[valid-type]
    city: City  # type: ignore[valid-type]
    postal_code: PostalCode | None = None  # type: ignore[valid-type]
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. EG.")
    lat: Latitude
    lng: Longitude

    _country = field_validator("country")(country_code)
