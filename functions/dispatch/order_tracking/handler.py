"""GET /api/v1/orders/{orderId}/tracking: where the order's courier is, the trail, the distance left and an ETA."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.dispatch.schemas import TrackingOut
from souk.dispatch.service import tracking
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok

app = create_app()


@app.get(
    "/api/v1/orders/<orderId>/tracking",
    summary="Track an order's delivery",
    tags=["Delivery"],
    description="The order's customer, its store owner, its courier and admins (anyone else: 404). The courier's "
    "last position, the trail (newest first, at most 50 points), the road-less distance left and an ETA from "
    "the courier's recent speed (else `delivery.courierSpeedKmh`). 404 until the order has a delivery.",
)
def track_order(
    order_id: Annotated[str, Path(alias="orderId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[TrackingOut]:
    return ok(tracking.tracking(caller, order_id))


lambda_handler = entrypoint(app)
