"""GET /api/v1/auth/me: the signed-in caller."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.identity.schemas.users import UserOut, user_out
from souk.identity.service.users import get_user

app = create_app()


@app.get("/api/v1/auth/me", summary="The caller", tags=["Auth"])
def me(caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[UserOut]:
    return ok(user_out(get_user(caller.user_id)))


lambda_handler = entrypoint(app)
