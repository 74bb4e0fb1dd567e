"""GET /api/v1/audit-logs/report: counts of audit records by action and by actor over a range of UTC days."""

from __future__ import annotations

from typing import Annotated

from souk.audit.reads import report
from souk.audit.schemas import AuditReportOut, AuditReportQuery
from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.http import Depends, Envelope, Query, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/audit-logs/report", summary="Audit counts by action and actor", tags=["Audit"],
         description="Counts of audit records by action and by actor over `from`..`to` (UTC days, both "
                     "inclusive; default the last 7 days; at most 31 days), summed from per-day counters "
                     "kept on write: one Query per day, whatever the log holds.",
         openapi_extensions=raises())  # fmt: skip
def audit_logs_report(
    query: Annotated[AuditReportQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[AuditReportOut]:
    return ok(report(query))


lambda_handler = entrypoint(app)
