"""PATCH /api/v1/disputes/{disputeId}: an admin closes a dispute, rejected or with a refund."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.disputes.schemas.disputes import DisputeOut, ResolutionIn
from souk.disputes.service import disputes
from souk.errors import Conflict, InvalidState, NotFound, ServiceUnavailable, UnprocessableEntity, UpstreamError
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch("/api/v1/disputes/<disputeId>", summary="Resolve a dispute", tags=["Disputes"],
           description="`refund_wallet` / `refund_original` refund through the refund path (capped by what is "
                       "left of what was paid; the store's share reversed); `rejected` refunds nothing. Once: a "
                       "closed dispute is 409 INVALID_STATE.",
           openapi_extensions=raises(NotFound, Conflict, InvalidState, UnprocessableEntity, UpstreamError,
                                     ServiceUnavailable))  # fmt: skip
def resolve_dispute(
    dispute_id: Annotated[str, Path(alias="disputeId", max_length=64)],
    body: ResolutionIn,
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[DisputeOut]:
    return ok(disputes.resolve(caller, dispute_id, body))


lambda_handler = entrypoint(app)
