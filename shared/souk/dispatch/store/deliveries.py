"""Delivery reads shared by the dispatch operations."""

from __future__ import annotations

from souk.dispatch import keys
from souk.dispatch.models import Delivery


def get_delivery(delivery_id: str, *, consistent: bool = True) -> Delivery | None:
    """One GetItem; consistent by default (the next write is conditional on what it read)."""
    try:
        return Delivery.get(keys.delivery(delivery_id), keys.DELIVERY, consistent_read=consistent)
    except Delivery.DoesNotExist:
        return None
