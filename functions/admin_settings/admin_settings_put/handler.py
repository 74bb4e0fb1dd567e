"""PUT /api/v1/admin/settings: replace some sections, from the version they were read at."""

from __future__ import annotations

from typing import Annotated

from souk.admin_settings import service
from souk.admin_settings.schemas import AdminSettings, AdminSettingsUpdate
from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import Conflict
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.put(
    "/api/v1/admin/settings",
    summary="Change the platform settings",
    tags=["Admin"],
    openapi_extensions=raises(Conflict),
)
def put_admin_settings(
    body: AdminSettingsUpdate, caller: Annotated[Principal, Depends(require_roles("admin"))]
) -> Envelope[AdminSettings]:
    return ok(service.update(caller, body))


lambda_handler = entrypoint(app)
