"""POST /api/v1/auth/reset-password: a new password with a one-use reset token; every session ends."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.identity.schemas.recovery import PasswordChanged, ResetPasswordRequest
from souk.identity.schemas.sessions import Client
from souk.identity.service import recovery

app = create_app()


@app.post("/api/v1/auth/reset-password", summary="Reset the password", tags=["Auth"])
def reset_password(body: ResetPasswordRequest, client: Annotated[Client, Depends(origin)]) -> Envelope[PasswordChanged]:
    return ok(recovery.reset_password(body, client))


lambda_handler = entrypoint(app)
