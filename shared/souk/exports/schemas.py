"""Exports' API shapes (API.md, Details of the later areas: Export) and its queue message."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from souk.orders.status import OrderStatus
from souk.schema import CamelModel

ExportType = Literal["orders", "users", "products", "audit_logs"]
ExportFormat = Literal["csv", "json"]


class ExportFilters(CamelModel):
    """Narrow the rows; unknown keys are a 400."""

    model_config = ConfigDict(extra="forbid")

    store_id: str | None = Field(None, min_length=1, max_length=64, description="Orders of this store only.")
    status: OrderStatus | None = Field(None, description="Orders in this status only.")


class ExportIn(CamelModel):
    model_config = ConfigDict(extra="forbid")

    type: ExportType
    format: ExportFormat = "csv"
    filters: ExportFilters = Field(default_factory=lambda: ExportFilters.model_validate({}))


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
