"""PATCH /api/v1/orders/{orderId}/status: the next fulfilment step (store owner, assigned courier, admin)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.dispatch.service import fulfilment
from souk.errors import Conflict, InvalidState
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.orders.schemas import OrderOut, StatusRequest

app = create_app()


@app.patch("/api/v1/orders/<orderId>/status", summary="Move an order to its next status", tags=["Orders"],
           description="Store owners: accepted, preparing, ready; couriers: picked_up, delivered; admins: any of "
                       "them. Only the next step of the chain, else 409 INVALID_STATE. Ready creates the order's "
                       "delivery (offered to the nearest courier); a courier moves an order that has one with "
                       "PATCH /api/v1/deliveries/{deliveryId}/status.",
          openapi_extensions=raises(Conflict, InvalidState))  # fmt: skip
def move_order(
    order_id: Annotated[str, Path(alias="orderId", max_length=64)],
    body: StatusRequest,
    caller: Annotated[Principal, Depends(require_roles("store_owner", "courier", "admin"))],
) -> Envelope[OrderOut]:
    return ok(fulfilment.move_order(caller, order_id, body))


lambda_handler = entrypoint(app)
