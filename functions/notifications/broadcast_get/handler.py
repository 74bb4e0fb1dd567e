"""GET /api/v1/admin/notifications/broadcasts/{broadcastId}: a broadcast's progress (status, recipients so far)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.notifications.schemas import BroadcastOut
from souk.notifications.service.broadcasts import get_broadcast

app = create_app()


@app.get("/api/v1/admin/notifications/broadcasts/<broadcastId>", summary="A broadcast's progress",
         tags=["Notifications"])  # fmt: skip
def broadcast_get(
    broadcast_id: Annotated[str, Path(alias="broadcastId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[BroadcastOut]:
    return ok(get_broadcast(broadcast_id))


lambda_handler = entrypoint(app)
