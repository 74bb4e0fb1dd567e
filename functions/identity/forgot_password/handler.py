"""POST /api/v1/auth/forgot-password: email a reset link; the same answer for every email."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.http import Depends, Envelope, create_app, entrypoint, ok, respond
from souk.identity.schemas.accounts import Accepted, EmailBody
from souk.identity.schemas.sessions import Client
from souk.identity.service import recovery

app = create_app()


@app.post("/api/v1/auth/forgot-password", summary="Ask for a password reset", tags=["Auth"])
def forgot_password(body: EmailBody, client: Annotated[Client, Depends(origin)]) -> Envelope[Accepted]:
    state = recovery.forgot_password(body.email, client)
    return respond(ok(Accepted(message=recovery.FORGOT_MESSAGE)), headers=state.headers())


lambda_handler = entrypoint(app)
