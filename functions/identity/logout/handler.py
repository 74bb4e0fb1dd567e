"""POST /api/v1/auth/logout: revoke the caller's session; its access token is refused at once."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.identity.schemas.sessions import LoggedOut
from souk.identity.service.sessions import logout as end_session

app = create_app()


@app.post("/api/v1/auth/logout", summary="Sign out", tags=["Auth"])
def logout(caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[LoggedOut]:
    end_session(caller)
    return ok(LoggedOut(logged_out=True))


lambda_handler = entrypoint(app)
