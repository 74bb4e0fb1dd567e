"""GET /api/v1/settings: the caller's locale and notification channels (defaults until saved)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.identity.schemas.user_settings import SettingsOut
from souk.identity.service import user_settings

app = create_app()


@app.get("/api/v1/settings", summary="Get my settings", tags=["Settings"])
def get_settings(caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[SettingsOut]:
    return ok(user_settings.read_settings(caller))


lambda_handler = entrypoint(app)
