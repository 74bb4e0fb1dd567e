"""GET /api/v1/uploads: the caller's uploads, newest first, paginated (one Query a page)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.db.paging import decode_cursor, encode_cursor
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.schema import PageQuery
from souk.uploads import service as uploads
from souk.uploads.schemas import UploadOut, upload_out

app = create_app()


@app.get("/api/v1/uploads", summary="My uploads", tags=["Uploads"])
def list_uploads(
    query: Annotated[PageQuery, Query()], caller: Annotated[Principal, Depends(authenticated)]
) -> PageEnvelope[UploadOut]:
    items, next_key = uploads.list_uploads(caller.user_id, limit=query.limit, last_key=decode_cursor(query.cursor))
    return page([upload_out(u) for u in items], limit=query.limit, next_cursor=encode_cursor(next_key))


lambda_handler = entrypoint(app)
