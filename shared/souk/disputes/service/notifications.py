"""Emails about disputes and returns: a new message and the resolution (to everyone in the thread but the
one who acted), a return's status move (to its customer).

Best effort after the commit, like :mod:`souk.orders.service.notifications`: the message, resolution or
move stands when an email cannot be queued. Each has an idempotency id, so it is queued once.
"""

from __future__ import annotations

from typing import Any

from souk.disputes.models import Dispute, DisputeMessage, ProductReturn
from souk.errors import NotFound
from souk.identity.service.users import get_user
from souk.money import display
from souk.notify.exceptions import NotificationError
from souk.notify.service import enqueue_email
from souk.observability import logger

ROLE_NAMES = {"customer": "The customer", "store_owner": "The store", "admin": "Souk support"}
RETURN_DETAIL = {
    "approved": "Send the items back to the store.",
    "received": "The store received the items; your refund follows.",
    "refunded": "The items' value is refunded.",
    "rejected": "",
}


def _send(template: str, user_id: str, variables: dict[str, Any], idempotency_id: str, subject_id: str) -> None:
    try:
        enqueue_email(template, get_user(user_id).email, variables, idempotency_id=idempotency_id)
    except (NotFound, NotificationError) as exc:
        logger.warning("dispute email not queued", extra={"subject_id": subject_id, "template": template,
                                                          "error_type": type(exc).__name__})  # fmt: skip


def thread(dispute: Dispute, messages: list[DisputeMessage]) -> list[str]:
    """Who is in a dispute's thread: its customer, its store's owner and every admin who wrote in it."""
    admins = [m.author_id for m in messages if m.role == "admin"]
    return list(dict.fromkeys([dispute.customer_id, dispute.store_owner_id, *admins]))


def message_posted(dispute: Dispute, messages: list[DisputeMessage], message: DisputeMessage) -> None:
    """Everyone in the thread but the author hears of a new message."""
    variables = {"order_id": dispute.order_id, "author": ROLE_NAMES.get(message.role, "Someone"),
                 "body": message.body}  # fmt: skip
    for user_id in thread(dispute, [*messages, message]):
        if user_id != message.author_id:
            _send("dispute_message", user_id, variables, f"dispute-message:{message.message_id}:{user_id}",
                  dispute.dispute_id)  # fmt: skip


def resolved(dispute: Dispute, messages: list[DisputeMessage]) -> None:
    """Everyone in the thread hears how the dispute was closed."""
    if dispute.resolution == "rejected":
        outcome = "no refund was made."
    else:
        where = "the customer's wallet" if dispute.resolution == "refund_wallet" else "the original payment"
        outcome = f"{display(int(dispute.amount or 0), dispute.currency)} refunded to {where}."
    variables = {"order_id": dispute.order_id, "status": dispute.status, "outcome": outcome,
                 "note": dispute.note or ""}  # fmt: skip
    for user_id in thread(dispute, messages):
        _send("dispute_resolved", user_id, variables, f"dispute-resolved:{dispute.dispute_id}:{user_id}",
              dispute.dispute_id)  # fmt: skip


def return_moved(item: ProductReturn) -> None:
    """The customer hears of each move of their return."""
    variables = {"order_id": item.order_id, "status": item.status,
                 "detail": RETURN_DETAIL.get(item.status, "") + (f" {item.status_reason}" if item.status_reason
                                                                 else "")}  # fmt: skip
    _send("return_status_changed", item.customer_id, variables, f"return-status:{item.return_id}:{item.status}",
          item.return_id)  # fmt: skip
