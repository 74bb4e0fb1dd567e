"""``POST /api/v1/analytics/events``: batched ingestion, each event id counted once.

An event is one item ``AEVENT#<id>`` put with ``attribute_not_exists``, one PutItem per event (≤ 100
per request): an id seen before fails its condition and is not counted again. An event without an
id gets a fresh one (it is new by definition).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.analytics.schemas import AcceptedOut, EventsIn
from souk.analytics.store import events as store
from souk.db.base import utc_now
from souk.ids import new_id

if TYPE_CHECKING:
    from souk.caller import Principal


def ingest(principal: Principal, body: EventsIn) -> AcceptedOut:
    now = utc_now()
    accepted = 0
    seen: set[str] = set()
    for event in body.events:
        event_id = event.id or new_id()
        if event_id in seen:
            continue
        seen.add(event_id)
        if store.put_once(event_id, event.type, principal.user_id, event.properties, event.occurred_at or now):
            accepted += 1
    return AcceptedOut(accepted=accepted)
