"""What admins send and see of the audit log (camelCase)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from souk.audit.models import AuditRecord
from souk.schema import CamelModel, OneLineText, PageQuery


class AuditFilters(CamelModel):
    """What narrows the audit log: GET /api/v1/audit-logs's query and the audit_logs export's filters."""

    actor: OneLineText | None = Field(None, min_length=1, max_length=64, description="The acting user's id.")
    resource: OneLineText | None = Field(None, min_length=3, max_length=200,
                                         description="`<type>:<id>`, e.g. `order:01HX...`.")  # fmt: skip
    action: OneLineText | None = Field(None, min_length=1, max_length=100, description="e.g. `product.update`.")
    start: datetime | None = Field(None, alias="from", description="Inclusive; ISO 8601 (no zone = UTC).")
    end: datetime | None = Field(None, alias="to", description="Exclusive; ISO 8601 (no zone = UTC).")


class AuditLogQuery(AuditFilters, PageQuery):
    """The filters, a page at a time."""


class AuditLogOut(CamelModel):
    id: str
    actor_id: str
    actor_role: str | None
    action: str
    resource_type: str
    resource_id: str
    ip: str | None
    request_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime

    @classmethod
    def of(cls, record: AuditRecord) -> AuditLogOut:
        return cls(id=record.audit_id, actor_id=record.actor_id, actor_role=record.actor_role, action=record.action,
                   resource_type=record.resource_type, resource_id=record.resource_id, ip=record.ip,
                   request_id=record.request_id, before=record.before, after=record.after,
                   created_at=record.created_at)  # fmt: skip


class AuditReportQuery(CamelModel):
    start: date | None = Field(None, alias="from", description="First UTC day (inclusive); default: `to` - 6 days.")
    end: date | None = Field(None, alias="to", description="Last UTC day (inclusive); default: today.")


class ActionCount(CamelModel):
    action: str
    count: int


class ActorCount(CamelModel):
    actor_id: str
    count: int


class AuditReportOut(CamelModel):
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    total: int
    by_action: list[ActionCount]
    by_actor: list[ActorCount]
