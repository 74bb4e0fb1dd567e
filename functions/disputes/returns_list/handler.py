"""GET /api/v1/returns: customers their own, store owners their stores', admins all."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.disputes.schemas.returns import ReturnOut, ReturnQuery
from souk.disputes.service import returns
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page

app = create_app()


@app.get("/api/v1/returns", summary="Returns", tags=["Returns"],
         description="Newest first; `status` filters a page, so one may come back short with a cursor to go on. "
                     "One Query per page.")  # fmt: skip
def list_returns(
    query: Annotated[ReturnQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("customer", "store_owner", "admin"))],
) -> PageEnvelope[ReturnOut]:
    items, next_cursor = returns.list_returns(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
