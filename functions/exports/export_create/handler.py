"""POST /api/v1/exports: queue an export job (202); the exports worker builds the file."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import ServiceUnavailable
from souk.exports.schemas import ExportIn, ExportOut
from souk.exports.service import exports
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()
exporter = require_roles("admin", "store_owner")


@app.post("/api/v1/exports", status_code=202, summary="Start an export", tags=["Exports"],
          description="Admins and store owners; store owners export their stores' orders only (users and "
                      "audit logs: admins). Answers the queued job; read it until `status` is `completed`.",
          openapi_extensions=raises(ServiceUnavailable))  # fmt: skip
def export_create(
    body: ExportIn,
    caller: Annotated[Principal, Depends(exporter)],
) -> Envelope[ExportOut]:
    return ok(exports.create_export(caller, body))


lambda_handler = entrypoint(app)
