"""GET /api/v1/audit-logs: a page of audit records, newest first (one index Query, never a Scan)."""

from __future__ import annotations

from typing import Annotated

from souk.audit.reads import list_logs
from souk.audit.schemas import AuditLogOut, AuditLogQuery
from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/audit-logs", summary="Search the audit log", tags=["Audit"],
         description="Audit records, newest first, filtered by `actor`, `resource` (`<type>:<id>`), `action` and "
                     "`from`/`to` (`from` inclusive, `to` exclusive). Each combination is one index Query: "
                     "resource, else actor, else action picks the index and the others filter the page; with "
                     "none of them `from` and `to` must lie within one UTC day (else 400). `limit` and `cursor` "
                     "page them (a filtered page may come back short, with a cursor to go on).",
         openapi_extensions=raises())  # fmt: skip
def audit_logs_list(
    query: Annotated[AuditLogQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> PageEnvelope[AuditLogOut]:
    items, next_cursor = list_logs(query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
