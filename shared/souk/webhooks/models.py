"""Webhook entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| StripeEvent | STRIPE_EVENT#<eventId> | STRIPE_EVENT#<eventId> | (ttl: 30 days, longer than Stripe retries) |
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from souk.db.base import SoukItem


class StripeEvent(SoukItem, discriminator="StripeEvent"):
    """One Stripe event applied: written with a does-not-exist condition in the effect's transaction."""

    event_id = UnicodeAttribute(attr_name="eventId")
    type = UnicodeAttribute()
    outcome = UnicodeAttribute()  # what applying it did, for support
