"""GET /api/v1/users/{userId}: one account; the caller's own, or any for an admin (else 404)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.identity.schemas.users import UserOut
from souk.identity.service import user_admin

app = create_app()


@app.get("/api/v1/users/<userId>", summary="Get a user", tags=["Users"])
def get_user(
    user_id: Annotated[str, Path(alias="userId", max_length=64)], caller: Annotated[Principal, Depends(authenticated)]
) -> Envelope[UserOut]:
    return ok(user_admin.read_user(caller, user_id))


lambda_handler = entrypoint(app)
