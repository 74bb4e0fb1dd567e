"""Webhooks: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.webhooks.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def stripe_event(event_id: str) -> str:
    return join("STRIPE_EVENT", event_id)
