"""POST /api/v1/deliveries/{deliveryId}/decline: the courier it is offered to passes; the next nearest is offered it."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.dispatch.schemas import DeclinedOut
from souk.dispatch.service import offers
from souk.errors import Conflict, InvalidState, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post("/api/v1/deliveries/<deliveryId>/decline", summary="Decline a delivery offered to me", tags=["Delivery"],
          description="The delivery is offered to the next nearest courier; declining again answers the same.",
          openapi_extensions=raises(NotFound, Conflict, InvalidState))  # fmt: skip
def decline_delivery(
    delivery_id: Annotated[str, Path(alias="deliveryId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("courier"))],
) -> Envelope[DeclinedOut]:
    return ok(offers.decline(caller, delivery_id))


lambda_handler = entrypoint(app)
