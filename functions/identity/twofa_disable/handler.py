"""POST /api/v1/auth/2fa/disable: turn 2FA off with a TOTP or backup code."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Forbidden, InvalidState
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.mfa import CodeRequest, MfaState
from souk.identity.service import mfa

app = create_app()


@app.post(
    "/api/v1/auth/2fa/disable",
    summary="Turn two-factor sign-in off",
    tags=["Auth"],
    openapi_extensions=raises(Forbidden, InvalidState),
)
def twofa_disable(body: CodeRequest, caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[MfaState]:
    return ok(mfa.disable(caller, body.code))


lambda_handler = entrypoint(app)
