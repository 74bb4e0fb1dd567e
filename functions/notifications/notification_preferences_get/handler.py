"""GET /api/v1/notifications/preferences: the caller's channels per notification type (defaults included)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.notifications.schemas import Preferences
from souk.notifications.service.preferences import get_preferences

app = create_app()


@app.get("/api/v1/notifications/preferences", summary="My notification preferences", tags=["Notifications"],
         description=Preferences.__doc__ or "")  # fmt: skip
def notification_preferences(caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[Preferences]:
    return ok(get_preferences(caller))


lambda_handler = entrypoint(app)
