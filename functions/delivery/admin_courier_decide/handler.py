"""PATCH /api/v1/admin/couriers/{userId}: an admin approves or rejects a courier's documents."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.delivery.schemas import VerificationDecision, VerificationOut
from souk.delivery.service import verification as service
from souk.errors import Conflict, InvalidState
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch(
    "/api/v1/admin/couriers/<userId>",
    summary="Decide on a courier's verification",
    tags=["Admin"],
    description="`approved` or `rejected` (with a `reason`) from pending only, else 409 INVALID_STATE; "
    "the courier is emailed. An unknown user or one who is not a courier is 404.",
    openapi_extensions=raises(Conflict, InvalidState),
)
def decide_courier_verification(
    user_id: Annotated[str, Path(alias="userId", max_length=64)],
    body: VerificationDecision,
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[VerificationOut]:
    return ok(service.decide(caller, user_id, body))


lambda_handler = entrypoint(app)
