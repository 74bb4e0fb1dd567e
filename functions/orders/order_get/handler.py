"""GET /api/v1/orders/{orderId}: one order with its status history (its customer, store owner, courier, admins)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.orders.schemas import OrderOut
from souk.orders.service import orders

app = create_app()


@app.get("/api/v1/orders/<orderId>", summary="An order with its status history", tags=["Orders"])
def get_order(
    order_id: Annotated[str, Path(alias="orderId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[OrderOut]:
    return ok(orders.get_order(caller, order_id))


lambda_handler = entrypoint(app)
