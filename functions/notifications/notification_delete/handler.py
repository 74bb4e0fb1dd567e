"""DELETE /api/v1/notifications/{notificationId}: delete one of the caller's notifications."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.notifications.schemas import NotificationDeleted
from souk.notifications.service.notifications import delete

app = create_app()


@app.delete("/api/v1/notifications/<notificationId>", summary="Delete a notification", tags=["Notifications"],
            description="Another user's notification is 404.")  # fmt: skip
def notification_delete(
    notification_id: Annotated[str, Path(alias="notificationId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[NotificationDeleted]:
    delete(caller, notification_id)
    return ok(NotificationDeleted(id=notification_id))


lambda_handler = entrypoint(app)
