"""GET /api/v1/exports: a page of the caller's export jobs, newest first (one Query)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.exports.schemas import ExportOut
from souk.exports.service import exports
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.http.docs import raises
from souk.schema import PageQuery

app = create_app()


@app.get("/api/v1/exports", summary="List my exports", tags=["Exports"],
          description="The caller's exports, newest first, without links (read one for its `downloadUrl`).",
          openapi_extensions=raises())  # fmt: skip
def exports_list(
    query: Annotated[PageQuery, Query()],
    caller: Annotated[Principal, Depends(authenticated)],
) -> PageEnvelope[ExportOut]:
    items, next_cursor = exports.list_exports(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
