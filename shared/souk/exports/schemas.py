"""Exports' API shapes (API.md, Details of the later areas: Export) and its queue message."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import ConfigDict, Field

from souk.schema import CamelModel

ExportType = Literal["orders", "users", "products", "audit_logs"]  # the public types; each declared by a domain
ExportFormat = Literal["csv", "json"]
PUBLIC_TYPES: tuple[str, ...] = get_args(ExportType)


class ExportIn(CamelModel):
    model_config = ConfigDict(extra="forbid")

    type: ExportType
    format: ExportFormat = "csv"
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="Narrow the rows; per type (unknown keys are a 400): orders `{storeId, status}`; "
        "products `{storeId, status}`; audit_logs `{actor, resource, action, from, to}` as GET /audit-logs; "
        "users none.",
    )


class ExportOut(CamelModel):
    id: str
    type: str
    format: str
    status: Literal["queued", "running", "completed", "failed"]
    progress: int = Field(ge=0, le=100)
    row_count: int
    download_url: str | None = Field(None, description="Presigned when read, valid 15 minutes; completed only.")
    expires_at: datetime | None = Field(None, description="When downloadUrl stops working.")
    created_at: datetime
    completed_at: datetime | None = None


class ExportMessage(CamelModel):
    """An ``exports`` queue message: build (or go on building) this export."""

    export_id: str = Field(min_length=1, max_length=64)

    def body(self) -> str:
        return json.dumps(self.model_dump(mode="json"), separators=(",", ":"))
