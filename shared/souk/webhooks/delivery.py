"""A webhook request as it arrived, as a plain value (``souk.http.dependencies`` builds it).

Apart from :mod:`souk.webhooks.stripe_events` so the request side can name it without
importing what applying an event needs (orders, payments, wallet, Stripe's SDK).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    """What Stripe sent: the exact body bytes and the ``Stripe-Signature`` header."""

    raw: bytes
    signature: str | None
