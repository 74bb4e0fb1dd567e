"""Delivery reads and writes: the zones partition (one Query) and quote items."""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.db.transactions import WriteTransaction
from souk.delivery import keys
from souk.delivery.models import DeliveryQuote, DeliveryZone

if TYPE_CHECKING:
    from collections.abc import Callable


def list_zones() -> list[DeliveryZone]:
    """Every zone, oldest id first: one Query of the zones partition (bounded by MAX_ZONES)."""
    return list(DeliveryZone.query(keys.ZONES, DeliveryZone.sk.startswith(keys.ZONE_PREFIX)))


def save_zone(zone: DeliveryZone, audit: Callable[[WriteTransaction], None]) -> DeliveryZone:
    """Write a new zone and its audit record together."""
    with WriteTransaction() as tx:
        tx.put(zone, DeliveryZone.pk.does_not_exist(), label="zone")
        audit(tx)
    return zone


def save_quote(quote: DeliveryQuote) -> DeliveryQuote:
    quote.save(DeliveryQuote.pk.does_not_exist())
    return quote
