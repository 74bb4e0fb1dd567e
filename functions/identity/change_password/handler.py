"""POST /api/v1/auth/change-password: the signed-in user changes their password; other sessions end."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict, Forbidden, InvalidCredentials
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.recovery import ChangePasswordRequest, PasswordChanged
from souk.identity.service import recovery

app = create_app()


@app.post(
    "/api/v1/auth/change-password",
    summary="Change the password",
    tags=["Auth"],
    openapi_extensions=raises(Conflict, Forbidden, InvalidCredentials),
)
def change_password(
    body: ChangePasswordRequest, caller: Annotated[Principal, Depends(authenticated)]
) -> Envelope[PasswordChanged]:
    return ok(recovery.change_password(caller, body))


lambda_handler = entrypoint(app)
