"""GET /api/v1/disputes/{disputeId}: the dispute with its messages (its customer, its store's owner, admins)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.disputes.schemas.disputes import DisputeOut
from souk.disputes.service import disputes
from souk.errors import NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/disputes/<disputeId>", summary="A dispute", tags=["Disputes"],
         description="With its messages, oldest first (one Query). Anyone else's dispute is 404.",
         openapi_extensions=raises(NotFound))  # fmt: skip
def get_dispute(
    dispute_id: Annotated[str, Path(alias="disputeId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("customer", "store_owner", "admin"))],
) -> Envelope[DisputeOut]:
    return ok(disputes.get_dispute(caller, dispute_id))


lambda_handler = entrypoint(app)
