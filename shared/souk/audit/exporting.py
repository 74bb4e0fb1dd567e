"""The ``audit_logs`` export type, admins only (:mod:`souk.registry`: ``SOURCES``).

The filters are GET /api/v1/audit-logs's (``actor``, ``resource`` as ``<type>:<id>``, ``action``, ``from``
inclusive, ``to`` exclusive) and go through the same indexes (:func:`souk.audit.query.find_all`, one
Query a page, newest first): resource, else actor, else action picks the index; with none of them the
export walks the day partitions from ``to``'s day (default today) back to ``from``'s (default the oldest
day the 400-day retention keeps) instead of refusing a range over several days. ``before`` and
``after`` are JSON text in both formats (one row shape).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, field_validator, model_validator

from souk.audit.query import Filters, check_range, find_all, parse_resource
from souk.audit.schemas import AuditFilters
from souk.errors import ValidationFailed
from souk.registry import Source

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord
    from souk.registry import ExportScope, Page

COLUMNS = ("id", "createdAt", "actorId", "actorRole", "action", "resourceType", "resourceId", "ip", "requestId",
           "before", "after")  # fmt: skip


class AuditExportFilters(AuditFilters):
    """GET /api/v1/audit-logs's filters, without its paging; unknown keys are a 400, checked at POST."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("resource")
    @classmethod
    def _resource(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_resource(value)
            except ValidationFailed:
                raise ValueError("Give the resource as <type>:<id>, e.g. order:01HX...") from None
        return value

    @model_validator(mode="after")
    def _range(self) -> AuditExportFilters:
        try:
            check_range(self.start, self.end)
        except ValidationFailed:
            raise ValueError("`from` must be before `to`.") from None
        return self


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def audit_row(record: AuditRecord) -> dict[str, Any]:
    return {"id": record.audit_id, "createdAt": record.created_at.isoformat() if record.created_at else None,
            "actorId": record.actor_id, "actorRole": record.actor_role, "action": record.action,
            "resourceType": record.resource_type, "resourceId": record.resource_id, "ip": record.ip,
            "requestId": record.request_id, "before": _json(record.before), "after": _json(record.after)}  # fmt: skip


def page(scope: ExportScope, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    wanted = AuditExportFilters.model_validate(filters)
    resource_type, resource_id = parse_resource(wanted.resource) if wanted.resource else (None, None)
    found, next_cursor = find_all(Filters(actor=wanted.actor, resource_type=resource_type, resource_id=resource_id,
                                          action=wanted.action, start=wanted.start, end=wanted.end),
                                  limit=limit, cursor=cursor)  # fmt: skip
    return [audit_row(r) for r in found], next_cursor


SOURCES = {"audit_logs": Source(columns=COLUMNS, page=page, filters=AuditExportFilters)}
