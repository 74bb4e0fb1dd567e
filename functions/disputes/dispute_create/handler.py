"""POST /api/v1/orders/{orderId}/disputes: the order's customer opens a dispute about it."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.disputes.schemas.disputes import DisputeIn, DisputeOut
from souk.disputes.service import disputes
from souk.errors import Conflict, InvalidState, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post("/api/v1/orders/<orderId>/disputes", status_code=201, summary="Open a dispute", tags=["Disputes"],
          description="One open dispute per order (409 CONFLICT on a second); attachments are your own finished "
                      "uploads. Another customer's order is 404.",
          openapi_extensions=raises(NotFound, Conflict, InvalidState))  # fmt: skip
def open_dispute(
    order_id: Annotated[str, Path(alias="orderId", max_length=64)],
    body: DisputeIn,
    caller: Annotated[Principal, Depends(require_roles("customer"))],
) -> Envelope[DisputeOut]:
    return ok(disputes.open_dispute(caller, order_id, body))


lambda_handler = entrypoint(app)
