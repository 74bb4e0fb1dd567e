"""Payments' items in the expiry index: card refunds still pending are sent again with their idempotency key.

Found by convention (:mod:`souk.registry`) by :mod:`souk.jobs.service`, which names no domain.
"""

from __future__ import annotations

from souk.jobs.service import ExpiryHandler
from souk.payments.service import resend

EXPIRING: dict[str, ExpiryHandler] = {"Refund": resend}
