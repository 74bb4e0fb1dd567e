"""POST /api/v1/auth/logout: revoke the caller's session; its access token is refused at once."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.identity.sessions import logout as end_session
from souk.schema import CamelModel

app = create_app()


class LoggedOut(CamelModel):
    logged_out: bool


@app.post("/api/v1/auth/logout", summary="Sign out", tags=["Auth"])
def logout(caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[LoggedOut]:
    end_session(caller)
    return ok(LoggedOut(logged_out=True))


lambda_handler = entrypoint(app)
