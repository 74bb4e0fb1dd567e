"""POST /api/v1/auth/reset-password: a new password with a one-use reset token; every session ends."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.identity import recovery
from souk.identity.sessions import Client

app = create_app()


@app.post("/api/v1/auth/reset-password", summary="Reset the password", tags=["Auth"])
def reset_password(
    body: recovery.ResetPasswordRequest, client: Annotated[Client, Depends(origin)]
) -> Envelope[recovery.PasswordChanged]:
    return ok(recovery.reset_password(body, client))


lambda_handler = entrypoint(app)
