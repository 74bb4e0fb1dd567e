"""Disputes and returns: the key values of their items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.disputes.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import created_sort, join

MESSAGE_PREFIX = "MSG#"


def dispute(dispute_id: str) -> str:
    """The dispute's partition: the dispute item (sk = pk) and its messages (sk ``MSG#<id>``), one Query."""
    return join("DISPUTE", dispute_id)


def message(message_id: str) -> str:
    return f"{MESSAGE_PREFIX}{message_id}"


def open_dispute(order_id: str) -> str:
    """The order's one open dispute (pk and sk): put with ``attribute_not_exists``, deleted when it closes."""
    return join("DISPUTED", order_id)


def customer_disputes(user_id: str) -> str:
    return join("USER", user_id, "DISPUTES")


def owner_disputes(owner_id: str) -> str:
    """The disputes of every store of one owner."""
    return join("USER", owner_id, "STORE_DISPUTES")


DISPUTES_ALL = "DISPUTES"


def return_(return_id: str) -> str:
    return join("RETURN", return_id)


def returned(order_id: str) -> str:
    """The order's returned-quantity counters: one item per line (sk :func:`returned_line`)."""
    return join("RETURNED", order_id)


def returned_line(product_id: str, sku: str) -> str:
    return join("LINE", product_id, sku)


def customer_returns(user_id: str) -> str:
    return join("USER", user_id, "RETURNS")


def owner_returns(owner_id: str) -> str:
    return join("USER", owner_id, "STORE_RETURNS")


RETURNS_ALL = "RETURNS"


def newest(created_iso: str, entity_id: str) -> str:
    """Sort key of every list: ``C#<created>#<id>``, read backwards for newest first."""
    return created_sort(created_iso, entity_id)
