"""GET /api/v1/disputes: customers their own, store owners their stores', admins all."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.disputes.schemas.disputes import DisputeOut, DisputeQuery
from souk.disputes.service import disputes
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page

app = create_app()


@app.get("/api/v1/disputes", summary="Disputes", tags=["Disputes"],
         description="Newest first, without their messages; `status` filters a page, so one may come back short "
                     "with a cursor to go on. One Query per page.")  # fmt: skip
def list_disputes(
    query: Annotated[DisputeQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("customer", "store_owner", "admin"))],
) -> PageEnvelope[DisputeOut]:
    items, next_cursor = disputes.list_disputes(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
