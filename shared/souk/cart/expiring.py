"""Cart's items in the expiry index: guest carts (customers' carts carry no expiry keys) are deleted.

Found by convention (:mod:`souk.registry`) by :mod:`souk.jobs.service`, which names no domain.
"""

from __future__ import annotations

from souk.cart.models import Cart
from souk.jobs.service import ExpiryHandler, delete_if_unchanged

EXPIRING: dict[str, ExpiryHandler] = {"Cart": delete_if_unchanged(Cart)}
