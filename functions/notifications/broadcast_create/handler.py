"""POST /api/v1/admin/notifications/broadcast: a message to a role or everyone, accepted at once (202), fanned
out by the notifications queue."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import ServiceUnavailable
from souk.http import Depends, Envelope, create_app, entrypoint, ok, respond
from souk.http.docs import raises
from souk.notifications.schemas import BroadcastIn, BroadcastOut
from souk.notifications.service.broadcasts import create_broadcast

app = create_app()


@app.post("/api/v1/admin/notifications/broadcast", status_code=202, summary="Broadcast a notification",
          tags=["Notifications"],
          description="Every active user of `role` (everyone when left out) gets it in the app, and by email if "
                      "they take `marketing` emails. Follow it at /admin/notifications/broadcasts/{broadcastId}.",
          openapi_extensions=raises(ServiceUnavailable))  # fmt: skip
def broadcast_create(
    body: BroadcastIn, caller: Annotated[Principal, Depends(require_roles("admin"))]
) -> Envelope[BroadcastOut]:
    return respond(ok(create_broadcast(caller, body)), status=202)


lambda_handler = entrypoint(app)
