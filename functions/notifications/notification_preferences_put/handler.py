"""PUT /api/v1/notifications/preferences: change some channels of some types (a partial merge)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.notifications.schemas import Preferences, PreferencesPatch
from souk.notifications.service.preferences import update_preferences

app = create_app()


@app.put("/api/v1/notifications/preferences", summary="Change my notification preferences", tags=["Notifications"],
         description="`{<type>: {inApp?, email?, sms?}}`: only what is sent changes; an unknown type is a 400. "
                     "Answers every type's channels.",
         openapi_extensions=raises(Conflict))  # fmt: skip
def notification_preferences_put(
    body: PreferencesPatch, caller: Annotated[Principal, Depends(authenticated)]
) -> Envelope[Preferences]:
    return ok(update_preferences(caller, body))


lambda_handler = entrypoint(app)
