"""GET /api/v1/admin/settings: the platform's settings document, read fresh."""

from __future__ import annotations

from typing import Annotated

from souk.admin_settings import service
from souk.admin_settings.schemas import AdminSettings
from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok

app = create_app()


@app.get("/api/v1/admin/settings", summary="Read the platform settings", tags=["Admin"])
def get_admin_settings(caller: Annotated[Principal, Depends(require_roles("admin"))]) -> Envelope[AdminSettings]:
    return ok(service.read())


lambda_handler = entrypoint(app)
