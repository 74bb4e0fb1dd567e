"""DELETE /api/v1/auth/sessions/{sessionId}: revoke one of the caller's sessions (others' are 404)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.identity.schemas.sessions import SessionRevoked
from souk.identity.service.sessions import revoke_own

app = create_app()


@app.delete("/api/v1/auth/sessions/<sessionId>", summary="Revoke one of my sessions", tags=["Auth"])
def session_delete(sessionId: str, caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[SessionRevoked]:
    revoke_own(caller, sessionId)
    return ok(SessionRevoked(id=sessionId, revoked=True))


lambda_handler = entrypoint(app)
