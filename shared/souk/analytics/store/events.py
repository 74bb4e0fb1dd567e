"""Ingested analytics events: one item per event id, put once (``attribute_not_exists``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from souk.analytics import keys
from souk.analytics.models import IngestedEvent
from souk.db.base import utc_now

RETENTION = timedelta(days=400)  # DynamoDB removes an event this long after it was received (its ``ttl``)


def put_once(event_id: str, event_type: str, user_id: str, properties: dict[str, Any], occurred_at: datetime) -> bool:
    """True if the event is new (stored now), False if its id was seen before."""
    item = IngestedEvent(pk=keys.event(event_id), sk=keys.EVENT_SK, event_id=event_id, type=event_type,
                         user_id=user_id, properties=properties, occurred_at=occurred_at,
                         expires_at=utc_now() + RETENTION)  # fmt: skip
    try:
        item.save(IngestedEvent.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
