"""Subscription rules, pure: which webhook state wins (what a status grants: souk.plans.rules).

Stripe sends ``customer.subscription.*`` events in no guaranteed order and may send one more
than once. Each carries the subscription object as it was when the event was made, and the
event's ``created`` (seconds). :func:`order_key` turns that into one integer a stored subscription
keeps (``lastEventAt``): a conditional update ``attribute_not_exists(orderKey) OR orderKey < :key``
applies an event only when it is newer, so a replay (equal key) or an older event (smaller key)
changes nothing, whatever order they arrive in: a ``deleted`` event older than the stored state is
stale, and does not cancel it. Events of the same second are ordered by a subscription's usual life
(``canceled`` last), since a canceled subscription is never reactivated at Stripe.
"""

from __future__ import annotations

from typing import Literal

Status = Literal["incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled", "paused"]

# Within one second (``created`` ties), the later of two states in a subscription's usual life.
_RANK: dict[str, int] = {"incomplete": 0, "trialing": 1, "active": 2, "past_due": 3, "paused": 4, "unpaid": 5,
                         "incomplete_expired": 6, "canceled": 7}  # fmt: skip
_SECONDS = 10**11  # room for event times (unix seconds) well past the year 5000
_RANKS = 10


def order_key(status: str, created: int) -> int:
    """The order of a subscription state: the event's time, then, within a second, the usual life.

    Raises ``ValueError`` for a status Stripe does not send.
    """
    if status not in _RANK:
        raise ValueError(f"unknown subscription status {status!r}")
    if not 0 <= created < _SECONDS:
        raise ValueError(f"event time out of range: {created}")
    return created * _RANKS + _RANK[status]


def supersedes(incoming: int, stored: int | None) -> bool:
    """Whether a state with key ``incoming`` replaces the stored one (none stored: it does)."""
    return stored is None or incoming > stored
