"""POST /api/v1/auth/2fa/setup: a pending TOTP secret and its otpauth URL (2FA stays off until enabled)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Forbidden, InvalidState
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.mfa import TotpSetup
from souk.identity.service import mfa

app = create_app()


@app.post(
    "/api/v1/auth/2fa/setup",
    summary="Start two-factor setup",
    tags=["Auth"],
    openapi_extensions=raises(Forbidden, InvalidState),
)
def twofa_setup(caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[TotpSetup]:
    return ok(mfa.setup(caller))


lambda_handler = entrypoint(app)
