"""GET /api/v1/notifications: the caller's notifications, newest first (`unread=true`: only the unread ones)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.notifications.schemas import NotificationOut, NotificationsQuery
from souk.notifications.service.notifications import list_notifications

app = create_app()


@app.get("/api/v1/notifications", summary="My notifications", tags=["Notifications"],
         description="Newest first; `unread=true` reads only the unread ones (their own index).")  # fmt: skip
def notifications(
    query: Annotated[NotificationsQuery, Query()], caller: Annotated[Principal, Depends(authenticated)]
) -> PageEnvelope[NotificationOut]:
    items, next_cursor = list_notifications(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
