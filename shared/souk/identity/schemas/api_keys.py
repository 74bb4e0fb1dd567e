"""API keys on the wire (camelCase): never the key itself, except once when it is created."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from souk.identity.models import ApiKey
from souk.schema import CamelModel, OneLine


class ApiKeyOut(CamelModel):
    """A key as its owner sees it: never the key itself."""

    id: str
    name: str
    prefix: str = Field(description="The first characters of the key, to recognise it.")
    team_id: str | None = Field(default=None, description="The team the key was created for (its calls count there).")
    created_at: datetime
    last_used_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself. Shown only in this response; store it now.")


class ApiKeyCreate(CamelModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), OneLine]
    team_id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] | None = Field(
        default=None,
        description="Create the key for this team (the caller must be a member): its calls count in "
        "the team's usage and the team plan's apiKeys limit applies; revoked when the caller leaves the team.",
    )


def api_key_out(item: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(id=item.key_id, name=item.name, prefix=item.prefix, team_id=item.team_id,
                     created_at=item.created_at, last_used_at=item.last_used_at)  # fmt: skip
