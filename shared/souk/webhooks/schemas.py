"""What the webhook route takes and answers: the delivery as it arrived, and the acknowledgement.

:class:`Delivery` is a plain value (``souk.http.dependencies`` builds it); this module imports
nothing that applying an event needs (orders, payments, wallet, Stripe's SDK), so the
request side can name it without loading those.
"""

from __future__ import annotations

from dataclasses import dataclass

from souk.schema import CamelModel


@dataclass(frozen=True)
class Delivery:
    """What Stripe sent: the exact body bytes and the ``Stripe-Signature`` header."""

    raw: bytes
    signature: str | None


class WebhookAck(CamelModel):
    received: bool = True
    duplicate: bool = False
