"""A user's public profile on the wire (camelCase), and the language tags it and the settings accept."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from functools import cache
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from souk.identity.models import User
from souk.identity.schemas.users import UPLOAD_ID
from souk.schema import CamelModel

# BCP 47, loosely: a 2-3 letter language, then subtags (script, region, variant), e.g. pt-BR, zh-Hant-TW.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# The profile's fields on the User item; a PUT replaces them all.
FIELDS = ("bio", "avatar_upload_id", "timezone", "language")


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def language_tag(value: str | None) -> str | None:
    """Validate a BCP-47-ish tag (shared with settings' ``locale``)."""
    if value is not None and not LANGUAGE_TAG.fullmatch(value):
        raise ValueError("Use a language tag such as en, fr or pt-BR.")
    return value


class ProfileIn(CamelModel):
    """PUT body: the whole profile; a field left out is cleared."""

    bio: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    avatar_upload_id: str | None = Field(None, pattern=UPLOAD_ID)
    timezone: str | None = Field(None, max_length=64, description="IANA name, e.g. Africa/Cairo.")
    language: str | None = Field(None, max_length=35, description="BCP 47 tag, e.g. en or pt-BR.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in _timezones():
            raise ValueError("Unknown timezone; use an IANA name such as Europe/Paris.")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return language_tag(value)


class ProfileOut(CamelModel):
    user_id: str
    bio: str | None = None
    avatar_upload_id: str | None = None
    timezone: str | None = None
    language: str | None = None
    updated_at: datetime


def profile_out(user: User) -> ProfileOut:
    return ProfileOut(user_id=user.user_id, bio=user.bio, avatar_upload_id=user.avatar_upload_id,
                      timezone=user.timezone, language=user.language, updated_at=user.updated_at)  # fmt: skip
