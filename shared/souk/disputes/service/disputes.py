"""Disputes: a thread per order between its customer, its store's owner and admins, closed by an admin.

- Open (POST /orders/{orderId}/disputes): the order's customer, on an order that was paid. The
  attachments are the caller's own finished uploads (:func:`souk.uploads.service.claim_uploads`).
  One open dispute per order: the transaction puts the order's OpenDispute on
  ``attribute_not_exists``; a second (even at the same instant) is 409 CONFLICT.
- Read: the customer, the store's owner and admins; anyone else 404. The detail is one Query
  (the dispute and its messages share a partition); a list page one Query on the caller's index.
- Messages: the same three parties, while the dispute is open (else 409 INVALID_STATE), at most
  :data:`souk.disputes.store.disputes.MAX_MESSAGES`; everyone else in the thread is emailed.
- Resolve (admin): ``rejected`` closes it; ``refund_wallet`` / ``refund_original`` refund through
  :func:`souk.orders.service.refunds.refund_order` (capped by what was paid and not refunded yet,
  the store's share reversed through the finance ledger), the dispute's close joined to the refund's
  reservation, conditional on the dispute still open: of two admins at once, one refund; the other
  409 INVALID_STATE. A card refund the provider refuses is compensated by refunds and the dispute
  opens again. Everyone in the thread is emailed the outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.paging import decode_cursor_for, encode_cursor
from souk.db.transactions import TransactionCancelled
from souk.disputes import keys
from souk.disputes.models import OPEN, REJECTED, RESOLVED, Dispute, DisputeMessage
from souk.disputes.schemas.disputes import (
    DisputeIn,
    DisputeOut,
    DisputeQuery,
    MessageIn,
    MessageOut,
    ResolutionIn,
    dispute_out,
    message_out,
)
from souk.disputes.service import notifications
from souk.disputes.store import disputes as store
from souk.errors import Conflict, InvalidState, NotFound, ServiceUnavailable, UnprocessableEntity, UpstreamError
from souk.ids import new_id
from souk.money import amount_in
from souk.observability import logger
from souk.orders.service import refunds
from souk.orders.service.orders import load_order
from souk.uploads.service import claim_uploads

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.orders.models import Order

ATTACHMENT_PURPOSES = frozenset({"attachment", "product_image"})
REFUND_TO: dict[str, Literal["original", "wallet"]] = {"refund_wallet": "wallet", "refund_original": "original"}


# ---------------------------------------------------------------- rules: plain functions over loaded values


def may_see(principal: Principal, dispute: Dispute) -> bool:
    """The dispute's customer, its store's owner, or an admin."""
    return principal.is_admin or principal.user_id in (dispute.customer_id, dispute.store_owner_id)


def check_disputable(order: Order) -> None:
    """409 INVALID_STATE for an order that was never paid (nothing to dispute yet)."""
    if order.status == "pending_payment":
        raise InvalidState("An order that is not paid yet cannot be disputed; cancel it instead.")


def check_open(dispute: Dispute) -> None:
    if dispute.status != OPEN:
        raise InvalidState(f"This dispute is {dispute.status} already.")


def closed_status(resolution: str) -> str:
    """``rejected`` for a rejection, ``resolved`` for a refund."""
    return REJECTED if resolution == "rejected" else RESOLVED


def refund_amount(order: Order, requested: int | None) -> int:
    """What a refund resolution refunds: ``requested`` or all that is left of what was paid.

    Raises
    ------
    UnprocessableEntity
        Nothing left to refund, or ``requested`` above what is left (``data.refundable``).
    """
    left = int(order.paid_amount or 0) - int(order.refunded_amount or 0)
    if left <= 0:
        raise UnprocessableEntity("Nothing is left to refund on this order; resolve it as rejected.",
                                  data={"refundable": 0})  # fmt: skip
    if requested is None:
        return left
    if not 1 <= requested <= left:
        raise UnprocessableEntity(f"Refund between 1 and {left}.", data={"refundable": left})
    return requested


# ---------------------------------------------------------------- reads


def _thread(principal: Principal, dispute_id: str) -> tuple[Dispute, list[DisputeMessage]]:
    dispute, messages = store.read_thread(dispute_id)
    if dispute is None or not may_see(principal, dispute):
        raise NotFound("No such dispute.")
    return dispute, messages


def get_dispute(principal: Principal, dispute_id: str) -> DisputeOut:
    """The dispute with its messages, oldest first (one Query)."""
    dispute, messages = _thread(principal, dispute_id)
    return dispute_out(dispute, messages)


def list_disputes(principal: Principal, query: DisputeQuery) -> tuple[list[DisputeOut], str | None]:
    """One page of the caller's disputes, newest first: a customer's own, a store owner's stores', an admin's all."""
    timeline: store.Timeline = (
        "all" if principal.is_admin else "owner" if principal.role == "store_owner" else "customer"
    )
    partition, attribute = store.partition(timeline, principal.user_id)
    start = decode_cursor_for(query.cursor, attribute, partition)
    found, last_key = store.dispute_page(timeline, principal.user_id, query.status, limit=query.limit, start=start)
    return [dispute_out(d) for d in found], encode_cursor(last_key)


# ---------------------------------------------------------------- writes


def _attachments(principal: Principal, upload_ids: list[str]) -> list[str]:
    uploads = claim_uploads(principal.user_id, upload_ids, ATTACHMENT_PURPOSES, field="attachmentUploadIds")
    return [u.upload_id for u in uploads]


def open_dispute(principal: Principal, order_id: str, request: DisputeIn) -> DisputeOut:
    """A dispute about the caller's order; 409 CONFLICT while another of the order's is open."""
    order = load_order(order_id)
    if order.customer_id != principal.user_id:
        raise NotFound("No such order.")
    check_disputable(order)
    attachments = _attachments(principal, request.attachment_upload_ids)
    now = utc_now()
    dispute_id = new_id()
    dispute = Dispute(
        pk=keys.dispute(dispute_id), sk=keys.dispute(dispute_id), dispute_id=dispute_id, order_id=order.order_id,
        customer_id=order.customer_id, store_id=order.store_id, store_owner_id=order.store_owner_id,
        currency=order.currency, reason=request.reason, description=request.description,
        attachment_upload_ids=attachments, status=OPEN, message_count=0, created_at=now, updated_at=now,
    )  # fmt: skip
    store.list_keys(dispute)
    record = audit.build_record(principal.actor, "dispute.open", "dispute", dispute_id,
                                after={"orderId": order.order_id, "reason": request.reason,
                                       "attachments": attachments})  # fmt: skip
    try:
        store.write_open(dispute, record)
    except TransactionCancelled as cancelled:
        if store.OPEN_LABEL in cancelled.failed():
            raise Conflict("This order has an open dispute already; write in it instead.") from None
        raise
    return dispute_out(dispute, [])


def post_message(principal: Principal, dispute_id: str, request: MessageIn) -> MessageOut:
    """A message in an open dispute by its customer, its store's owner or an admin."""
    dispute, messages = _thread(principal, dispute_id)
    check_open(dispute)
    attachments = _attachments(principal, request.attachment_upload_ids)
    message_id = new_id()
    message = DisputeMessage(pk=keys.dispute(dispute_id), sk=keys.message(message_id), message_id=message_id,
                             dispute_id=dispute_id, author_id=principal.user_id, role=principal.role,
                             body=request.body, attachment_upload_ids=attachments)  # fmt: skip
    record = audit.build_record(principal.actor, "dispute.message", "dispute", dispute_id,
                                after={"messageId": message_id, "attachments": attachments})  # fmt: skip
    try:
        store.write_message(dispute, message, record)
    except TransactionCancelled as cancelled:
        if store.DISPUTE_LABEL not in cancelled.failed():
            raise
        now = store.read_dispute(dispute_id)
        if now is not None:
            check_open(now)  # closed meanwhile
        raise UnprocessableEntity(f"A dispute holds at most {store.MAX_MESSAGES} messages.") from None
    notifications.message_posted(dispute, messages, message)
    return message_out(message)


def _closed_meanwhile(dispute_id: str) -> None:
    """409 INVALID_STATE if the dispute is no longer open (another admin closed it first)."""
    now = store.read_dispute(dispute_id)
    if now is not None and now.status != OPEN:
        raise InvalidState(f"This dispute is {now.status} already.")


def resolve(principal: Principal, dispute_id: str, request: ResolutionIn) -> DisputeOut:
    """Close an open dispute: rejected, or with a refund through the refund path (admins)."""
    dispute, messages = _thread(principal, dispute_id)
    check_open(dispute)
    status, now = closed_status(request.resolution), utc_now()
    amount = refund_id = order = None
    if request.resolution in REFUND_TO:
        order = load_order(dispute.order_id)
        requested = None if request.amount is None else amount_in(request.amount, order.currency, field="amount")
        try:
            amount, refund_id = refund_amount(order, requested), new_id()
        except UnprocessableEntity:
            _closed_meanwhile(dispute_id)  # the order read after another admin's refund: answer as the loser
            raise
    record = audit.build_record(principal.actor, "dispute.resolve", "dispute", dispute_id, before={"status": OPEN},
                                after={"status": status, "resolution": request.resolution, "amount": amount,
                                       "refundId": refund_id, "note": request.note})  # fmt: skip
    writes = store.close_writes(dispute, status, request.resolution, amount=amount, refund_id=refund_id,
                                note=request.note, actor_id=principal.user_id, now=now, record=record)  # fmt: skip
    try:
        if order is None:
            store.write_close(writes)
        else:
            reason = f"dispute {dispute_id}: {request.note or dispute.reason}"
            refunds.refund_order(principal.actor, order, refunds.order_payment(order), amount,
                                 to=REFUND_TO[request.resolution], reason=reason[:500], refund_id=refund_id,
                                 also=writes, also_label=store.DISPUTE_LABEL)  # fmt: skip
    except TransactionCancelled as cancelled:
        if {store.DISPUTE_LABEL, store.OPEN_LABEL} & set(cancelled.failed()):
            raise InvalidState("Another admin closed this dispute first.") from None
        raise
    except (UpstreamError, ServiceUnavailable):
        # The provider refused the card refund and refunds compensated it: the dispute is open again.
        _reopen(dispute, str(refund_id))
        raise
    except (UnprocessableEntity, InvalidState, Conflict):
        _closed_meanwhile(dispute_id)  # a refund that lost to the other admin's answers as the loser it is
        raise
    closed = store.read_dispute(dispute_id) or dispute
    notifications.resolved(closed, messages)
    return dispute_out(closed, messages)


def _reopen(dispute: Dispute, refund_id: str) -> None:
    try:
        store.reopen(dispute, refund_id)
    except TransactionCancelled:
        logger.error("dispute not reopened after its refund failed", extra={"dispute_id": dispute.dispute_id,
                                                                            "refund_id": refund_id})  # fmt: skip
