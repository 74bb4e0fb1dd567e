"""PATCH /api/v1/users/{userId}: change name, phone or avatar (own, or any for an admin)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.users import UserOut, UserUpdate
from souk.identity.service import user_admin

app = create_app()


@app.patch("/api/v1/users/<userId>", summary="Update a user", tags=["Users"], openapi_extensions=raises(Conflict))
def update_user(
    user_id: Annotated[str, Path(alias="userId", max_length=64)],
    body: UserUpdate,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[UserOut]:
    return ok(user_admin.update_user(caller, user_id, body))


lambda_handler = entrypoint(app)
