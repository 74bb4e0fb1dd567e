"""POST /api/v1/orders/{orderId}/cancel: cancel an order before it is ready; stock released, payment refunded."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import Conflict, InvalidState, ServiceUnavailable, UpstreamError
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.orders.schemas import CancelOut, CancelRequest
from souk.orders.service import cancel

app = create_app()


@app.post("/api/v1/orders/<orderId>/cancel", summary="Cancel an order", tags=["Orders"],
          description="The customer, the store's owner or an admin; before `ready`. The body is optional.",
          openapi_extensions=raises(Conflict, InvalidState, ServiceUnavailable, UpstreamError))  # fmt: skip
def cancel_order(
    order_id: Annotated[str, Path(alias="orderId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("customer", "store_owner", "admin"))],
    body: CancelRequest | None = None,
) -> Envelope[CancelOut]:
    return ok(cancel.cancel_order(caller, order_id, body or CancelRequest(reason=None)))


lambda_handler = entrypoint(app)
