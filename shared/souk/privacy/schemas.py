"""Privacy's API shapes and its queue message."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from souk.schema import CamelModel


class EraseRequest(CamelModel):
    """``DELETE /api/v1/me``: the current password, as a password change asks for it."""

    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(
        None, min_length=1, max_length=256,
        description="The account's current password (required unless the account signs in only with a provider).",
    )  # fmt: skip


class ErasureOut(CamelModel):
    user_id: str
    status: Literal["deleting", "deleted"]
    requested_at: datetime
    completed_at: datetime | None = None
    steps_done: list[str] = Field(default_factory=list, description="The domains already erased, in order.")


class ErasureMessage(CamelModel):
    """A ``privacy`` queue message: go on erasing this account."""

    user_id: str = Field(min_length=1, max_length=64)

    def body(self) -> str:
        return json.dumps(self.model_dump(mode="json", by_alias=True), separators=(",", ":"))
