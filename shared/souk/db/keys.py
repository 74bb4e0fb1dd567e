"""Key values shared by every domain: the separator, time and name sort keys, rate windows and the
expiry index. Each domain builds its own keys in ``souk/<domain>/keys.py`` (beside its models) with
:func:`join`; ``docs/access-patterns.md`` lists every access pattern.
"""

from __future__ import annotations


def join(*parts: str) -> str:
    return "#".join(parts)


def rate_window(scope: str, subject: str) -> str:
    return join("RATE", scope, subject)


def expiry_bucket(hour: str) -> str:
    """gsi4 partition of the items that expire within one UTC hour (``yyyy-mm-ddThh``)."""
    return join("EXPIRES", hour)


def expiry_sort(expires_iso: str, pk: str) -> str:
    """gsi4 sort key: the expiry instant first, so a bucket can be read up to "now"."""
    return join(expires_iso, pk)


def created_sort(created_iso: str, entity_id: str) -> str:
    return join("C", created_iso, entity_id)


def name_sort(name: str, entity_id: str) -> str:
    return join(name.strip().lower(), entity_id)


def timeline_sort(stamp: str, entity_id: str) -> str:
    """Sort key of an order/payment/entry timeline: ``souk.db.expiry.stamp(createdAt)`` then the id.

    Fixed-width UTC stamps compare as strings, so a ``from``/``to`` date filter is a key range.
    """
    return join(stamp, entity_id)
