"""GET /api/v1/deliveries: a courier's offers and held deliveries; admins all of them (filter by status)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.dispatch.schemas import DeliveriesQuery, DeliveryOut
from souk.dispatch.service import listing
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page

app = create_app()


@app.get("/api/v1/deliveries", summary="Deliveries", tags=["Delivery"],
         description="Couriers: the deliveries offered to them and those they hold; admins: all. Newest first; "
                     "`status` filters a page, so one may come back short with a cursor to go on.")  # fmt: skip
def list_deliveries(
    query: Annotated[DeliveriesQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("courier", "admin"))],
) -> PageEnvelope[DeliveryOut]:
    items, next_cursor = listing.list_deliveries(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
