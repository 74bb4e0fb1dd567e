"""PUT /api/v1/notifications/read-all: mark the caller's unread notifications read, a bounded batch per call."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.notifications.schemas import ReadAllOut
from souk.notifications.service.notifications import READ_ALL_BATCH, read_all

app = create_app()


@app.put("/api/v1/notifications/read-all", summary="Mark all my notifications read", tags=["Notifications"],
         description=f"Marks up to {READ_ALL_BATCH} unread notifications, newest first, and answers how many "
                     "(`marked`) and whether unread ones remain (`hasMore`: call again).",
         openapi_extensions=raises(Conflict))  # fmt: skip
def notifications_read_all(caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[ReadAllOut]:
    return ok(read_all(caller))


lambda_handler = entrypoint(app)
