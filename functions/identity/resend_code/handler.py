"""POST /api/v1/auth/resend-code: a fresh code for a pending account (rate limited, no enumeration)."""

from __future__ import annotations

from souk.http import Envelope, create_app, entrypoint, ok, respond
from souk.identity.schemas.accounts import Accepted, EmailBody
from souk.identity.service import accounts

app = create_app()


@app.post("/api/v1/auth/resend-code", summary="Resend the verification code", tags=["Auth"])
def resend_code(body: EmailBody) -> Envelope[Accepted]:
    state = accounts.resend_code(body.email)
    message = "If an unverified account uses this email, a new code is on its way."
    return respond(ok(Accepted(message=message)), headers=state.headers())


lambda_handler = entrypoint(app)
