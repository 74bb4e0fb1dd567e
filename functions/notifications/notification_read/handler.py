"""PUT /api/v1/notifications/{notificationId}/read: mark one of the caller's notifications read."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.notifications.schemas import NotificationOut
from souk.notifications.service.notifications import mark_read

app = create_app()


@app.put("/api/v1/notifications/<notificationId>/read", summary="Mark a notification read", tags=["Notifications"],
         description="Another user's notification is 404. Marking one read twice is fine.")  # fmt: skip
def notification_read(
    notification_id: Annotated[str, Path(alias="notificationId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[NotificationOut]:
    return ok(mark_read(caller, notification_id))


lambda_handler = entrypoint(app)
