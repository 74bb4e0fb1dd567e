"""PUT /api/v1/settings: replace the caller's settings (fields left out return to defaults)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.identity.schemas.user_settings import SettingsIn, SettingsOut
from souk.identity.service import user_settings

app = create_app()


@app.put("/api/v1/settings", summary="Replace my settings", tags=["Settings"])
def put_settings(body: SettingsIn, caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[SettingsOut]:
    return ok(user_settings.replace_settings(caller, body))


lambda_handler = entrypoint(app)
