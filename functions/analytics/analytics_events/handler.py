"""POST /api/v1/analytics/events: up to 100 events (202); an event id sent before is not counted again."""

from __future__ import annotations

from typing import Annotated

from souk.analytics.schemas import AcceptedOut, EventsIn
from souk.analytics.service import events
from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post("/api/v1/analytics/events", status_code=202, summary="Send analytics events", tags=["Analytics"],
          description="Any signed-in caller, with a session or an API key. `accepted` counts the events "
                      "stored now; an `id` seen before is not counted again.",
          openapi_extensions=raises())  # fmt: skip
def analytics_events(
    body: EventsIn,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[AcceptedOut]:
    return ok(events.ingest(caller, body))


lambda_handler = entrypoint(app)
