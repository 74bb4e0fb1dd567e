"""Orders' items in the expiry index: unpaid card orders past ``reservedUntil`` are cancelled, stock released.

Found by convention (:mod:`souk.registry`) by :mod:`souk.jobs.service`, which names no domain.
"""

from __future__ import annotations

from souk.jobs.service import ExpiryHandler
from souk.orders.service.expiry import expire_raw

EXPIRING: dict[str, ExpiryHandler] = {"Order": expire_raw}
