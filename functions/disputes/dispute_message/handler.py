"""POST /api/v1/disputes/{disputeId}/messages: a message in an open dispute (its customer, its store's owner,
admins)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.disputes.schemas.disputes import MessageIn, MessageOut
from souk.disputes.service import disputes
from souk.errors import InvalidState, NotFound, UnprocessableEntity
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post("/api/v1/disputes/<disputeId>/messages", status_code=201, summary="Write in a dispute",
          tags=["Disputes"],
          description="While the dispute is open (409 INVALID_STATE once closed); everyone else in the thread "
                      "is emailed.",
          openapi_extensions=raises(NotFound, InvalidState, UnprocessableEntity))  # fmt: skip
def post_message(
    dispute_id: Annotated[str, Path(alias="disputeId", max_length=64)],
    body: MessageIn,
    caller: Annotated[Principal, Depends(require_roles("customer", "store_owner", "admin"))],
) -> Envelope[MessageOut]:
    return ok(disputes.post_message(caller, dispute_id, body))


lambda_handler = entrypoint(app)
