"""Payments' DynamoDB access: the payment lists, a payment with its refunds, pending refunds in the expiry index.

The list is one Query per page: the caller's payments as payer (gsi1
``USER#<id>#PAYMENTS``) or, for admins, every payment (gsi2 ``PAYMENTS``), newest first;
``from``/``to`` are a range on the timeline sort key, ``status`` and ``kind`` a
FilterExpression (so a filtered page may come back short, with a cursor to go on). The
detail is one Query on the payment's partition: the payment and its refunds.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.db import expiry
from souk.db.base import SoukItem, utc_now
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.timeline import all_of, window
from souk.db.transactions import WriteTransaction
from souk.observability import logger
from souk.payments import keys
from souk.payments.models import Payment, Refund

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.payments.schemas import PaymentsQuery

# A payment's partition holds the payment and its refunds: one page of this many items is all of them.
DETAIL_PAGE = 500


def payments_page(query: PaymentsQuery, *, payer_id: str | None) -> tuple[list[Payment], str | None]:
    """One page of payments, newest first: ``payer_id``'s (gsi1), or every payment (gsi2) when None."""
    index: Any
    if payer_id is None:
        index, partition, sort_key, attribute = Payment.gsi2, keys.PAYMENTS_ALL, Payment.gsi2sk, "gsi2pk"
    else:
        index, partition = Payment.gsi1, keys.user_payments(payer_id)
        sort_key, attribute = Payment.gsi1sk, "gsi1pk"
    start = decode_cursor_for(query.cursor, attribute, partition)
    conditions = all_of(Payment.status == query.status if query.status else None,
                        Payment.kind == query.kind if query.kind else None)  # fmt: skip
    result = index.query(partition, window(sort_key, query), filter_condition=conditions,
                         scan_index_forward=False, page_size=query.limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Payment, result)
    return [p for p in found if isinstance(p, Payment)], encode_cursor(last_key)


def payment_with_refunds(payment_id: str) -> tuple[Payment | None, list[Refund]]:
    """The payment (None when there is none) and its refunds, oldest first: one Query on its partition."""
    found, _ = one_page(SoukItem, SoukItem.query(keys.payment(payment_id), page_size=DETAIL_PAGE))
    payment = next((item for item in found if isinstance(item, Payment)), None)
    refunds = sorted((item for item in found if isinstance(item, Refund)), key=lambda r: r.created_at)
    return payment, refunds


# ---------------------------------------------------------------- pending card refunds in the expiry index


def index_refund(refund: Refund, due: datetime) -> None:
    """Give a refund item (not yet written) its expiry-index entry, due at ``due``."""
    index = expiry.index_keys(due, refund.pk)
    refund.gsi4pk, refund.gsi4sk = index["gsi4pk"], index["gsi4sk"]


def settled_refund_actions(status: str) -> list[Action]:
    """The update that settles a pending refund (``succeeded``/``failed``) and takes it out of the index."""
    return [Refund.status.set(status), Refund.updated_at.set(utc_now()), Refund.gsi4pk.remove(), Refund.gsi4sk.remove()]


def refund_of_entry(raw: dict[str, Any]) -> Refund | None:
    """The refund an expiry-index entry names, read again (strongly): the entry may be stale."""
    entry = Refund.from_raw_data(raw)
    try:
        return Refund.get(entry.pk, entry.sk, consistent_read=True)
    except DoesNotExist:
        return None


def get_payment(payment_id: str) -> Payment | None:
    try:
        return Payment.get(keys.payment(payment_id), keys.payment(payment_id))
    except DoesNotExist:
        return None


def postpone_refund(refund: Refund, due: datetime) -> None:
    """Move a still pending refund's index entry to ``due`` (a refund settled meanwhile is left alone)."""
    index = expiry.index_keys(due, refund.pk)
    try:
        refund.update([Refund.gsi4pk.set(index["gsi4pk"]), Refund.gsi4sk.set(index["gsi4sk"])],
                      condition=Refund.status == "pending")  # fmt: skip
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":  # settled meanwhile
            logger.exception("pending refund not rescheduled", extra={"refund_id": refund.refund_id})


def settle_refund_sent(tx: WriteTransaction, refund: Refund, stripe_refund_id: str) -> None:
    """Add to ``tx``: the pending refund becomes ``succeeded`` with Stripe's id (fails if no longer pending)."""
    tx.update(refund, [*settled_refund_actions("succeeded"), Refund.stripe_refund_id.set(stripe_refund_id)],
              Refund.status == "pending", label="refund")  # fmt: skip
