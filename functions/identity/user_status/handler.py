"""PATCH /api/v1/users/{userId}/status: admins activate or suspend an account (suspension signs it out)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import Conflict, UnprocessableEntity
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.users import StatusChange, UserOut
from souk.identity.service import user_admin

app = create_app()


@app.patch(
    "/api/v1/users/<userId>/status",
    summary="Activate or suspend a user",
    tags=["Users"],
    openapi_extensions=raises(Conflict, UnprocessableEntity),
)
def set_status(
    user_id: Annotated[str, Path(alias="userId", max_length=64)],
    body: StatusChange,
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[UserOut]:
    return ok(user_admin.set_status(caller, user_id, body))


lambda_handler = entrypoint(app)
