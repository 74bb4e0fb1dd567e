"""GET /api/v1/orders: customers their own, store owners their stores', couriers assigned ones, admins all."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import NotFound
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.http.docs import raises
from souk.orders.schemas import OrderOut, OrdersQuery
from souk.orders.service import orders

app = create_app()


@app.get("/api/v1/orders", summary="Orders", tags=["Orders"],
         description="Newest first unless `order=asc`; `status`/`store` filter a page, so one may come back short "
                     "with a cursor to go on.",
          openapi_extensions=raises(NotFound))  # fmt: skip
def list_orders(
    query: Annotated[OrdersQuery, Query()],
    caller: Annotated[Principal, Depends(authenticated)],
) -> PageEnvelope[OrderOut]:
    items, next_cursor = orders.list_orders(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
