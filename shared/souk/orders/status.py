"""The order status machine and who may move an order where.

``pending_payment → paid → accepted → preparing → ready → picked_up → delivered``, plus
``cancelled`` (before ``ready``), ``refunded`` and ``partially_refunded`` (set by refunds).

Every move is an update conditional on the status read (:func:`souk.orders.models.move_actions`),
so two racing moves cannot both apply; the loser gets 409 INVALID_STATE. The history is
appended in the same update. Plain values and functions: no AWS here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from souk.db.base import utc_now

if TYPE_CHECKING:
    from souk.caller import Actor

OrderStatus = Literal["pending_payment", "paid", "accepted", "preparing", "ready", "picked_up", "delivered",
                      "cancelled", "refunded", "partially_refunded"]  # fmt: skip
STATUSES: tuple[str, ...] = ("pending_payment", "paid", "accepted", "preparing", "ready", "picked_up", "delivered",
                             "cancelled", "refunded", "partially_refunded")  # fmt: skip

# The fulfilment chain: each status and the one that follows it.
NEXT: dict[str, str] = {"paid": "accepted", "accepted": "preparing", "preparing": "ready", "ready": "picked_up",
                        "picked_up": "delivered"}  # fmt: skip
# Cancel (customer, store owner, admin): releases the stock and refunds what was paid.
CANCELLABLE = frozenset({"pending_payment", "paid", "accepted", "preparing"})
# Money was taken and not all of it given back: a refund may apply.
REFUNDABLE = frozenset({"paid", "accepted", "preparing", "ready", "picked_up", "delivered", "partially_refunded"})
# The targets each role may set through PATCH /orders/{id}/status (admin: any legal move).
ROLE_TARGETS: dict[str, frozenset[str]] = {
    "store_owner": frozenset({"accepted", "preparing", "ready"}),
    "courier": frozenset({"picked_up", "delivered"}),
    "admin": frozenset(NEXT.values()),
}
# A delivery that failed gives the order back to the store: outside the chain, back to ``preparing``.
RETURNABLE = frozenset({"ready", "picked_up"})
RETURNED_TO = "preparing"
TERMINAL = frozenset({"delivered", "cancelled", "refunded"})
REFUND_STATUSES = frozenset({"refunded", "partially_refunded"})


def status_before_refunds(history: Iterable[Any]) -> str:
    """The newest status of ``history`` (its entries: ``{"status", ...}`` maps) that a refund did not
    set (``paid`` if none)."""
    for entry in reversed(list(history)):
        if entry.get("status") not in REFUND_STATUSES:
            return str(entry["status"])
    return "paid"


def fulfilment_status(status: str, history: Iterable[Any]) -> str:
    """Where an order stands on the fulfilment chain: a partial refund does not stop it (the
    order still ships, its commission still releases on delivery), so a ``partially_refunded``
    order moves on from the status it had before its refunds."""
    return status_before_refunds(history) if status == "partially_refunded" else status


def can_move(current: str, target: str) -> bool:
    """Is ``current → target`` a move of the fulfilment chain?"""
    return NEXT.get(current) == target


def history_entry(status: str, actor: Actor | None, reason: str | None = None) -> dict[str, Any]:
    return {"status": status, "at": utc_now().isoformat().replace("+00:00", "Z"),
            "actorId": actor.user_id if actor else None, "role": actor.role if actor else "system",
            "reason": reason}  # fmt: skip
