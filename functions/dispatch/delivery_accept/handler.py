"""POST /api/v1/deliveries/{deliveryId}/accept: the courier it is offered to takes it (exactly one ever does)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.dispatch.schemas import DeliveryOut
from souk.dispatch.service import offers
from souk.errors import Conflict, InvalidState, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post("/api/v1/deliveries/<deliveryId>/accept", summary="Accept a delivery offered to me", tags=["Delivery"],
          description="Only the courier it is offered to, before the offer expires: another courier's offer is 409 "
                      "CONFLICT; a second accept or an expired offer 409 INVALID_STATE.",
          openapi_extensions=raises(NotFound, Conflict, InvalidState))  # fmt: skip
def accept_delivery(
    delivery_id: Annotated[str, Path(alias="deliveryId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("courier"))],
) -> Envelope[DeliveryOut]:
    return ok(offers.accept(caller, delivery_id))


lambda_handler = entrypoint(app)
