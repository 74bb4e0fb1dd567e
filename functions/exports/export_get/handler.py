"""GET /api/v1/exports/{exportId}: the caller's export job; when completed, a download link (15 minutes)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import NotFound
from souk.exports.schemas import ExportOut
from souk.exports.service import exports
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/exports/<exportId>", summary="Get an export", tags=["Exports"],
          description="Own exports only; another's is 404. `downloadUrl` is presigned at each read.",
          openapi_extensions=raises(NotFound))  # fmt: skip
def export_get(
    export_id: Annotated[str, Path(alias="exportId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[ExportOut]:
    return ok(exports.get_export(caller, export_id))


lambda_handler = entrypoint(app)
