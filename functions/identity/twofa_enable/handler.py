"""POST /api/v1/auth/2fa/enable: confirm the app with a code; 2FA on, backup codes returned once."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Forbidden, InvalidState
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.mfa import BackupCodes, TotpCodeRequest
from souk.identity.service import mfa

app = create_app()


@app.post(
    "/api/v1/auth/2fa/enable",
    summary="Turn two-factor sign-in on",
    tags=["Auth"],
    openapi_extensions=raises(Forbidden, InvalidState),
)
def twofa_enable(body: TotpCodeRequest, caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[BackupCodes]:
    return ok(mfa.enable(caller, body.code))


lambda_handler = entrypoint(app)
