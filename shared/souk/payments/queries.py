"""GET /api/v1/payments and GET /api/v1/payments/{paymentId}.

The list is one Query per page: the caller's payments as payer (gsi1
``USER#<id>#PAYMENTS``) or, for admins, every payment (gsi2 ``PAYMENTS``), newest first;
``from``/``to`` are a range on the timeline sort key, ``status`` and ``kind`` a
FilterExpression (so a filtered page may come back short, with a cursor to go on). The
detail is one Query on the payment's partition: the payment and its refunds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.db import keys
from souk.db.base import SoukItem
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.timeline import TimelineQuery, all_of, window
from souk.errors import NotFound
from souk.payments.models import Payment, Refund
from souk.payments.schemas import (
    PaymentDetailOut,
    PaymentKind,
    PaymentOut,
    PaymentStatus,
    payment_detail_out,
    payment_out,
)

if TYPE_CHECKING:
    from souk.caller import Principal

# A payment's partition holds the payment and its refunds: one page of this many items is all of them.
DETAIL_PAGE = 500


class PaymentsQuery(TimelineQuery):
    status: PaymentStatus | None = None
    kind: PaymentKind | None = None


def list_payments(principal: Principal, query: PaymentsQuery) -> tuple[list[PaymentOut], str | None]:
    """The caller's payments as payer, or every payment for an admin; newest first, one Query."""
    index: Any
    if principal.is_admin:
        index, partition, sort_key, attribute = Payment.gsi2, keys.PAYMENTS_ALL, Payment.gsi2sk, "gsi2pk"
    else:
        index, partition = Payment.gsi1, keys.user_payments(principal.user_id)
        sort_key, attribute = Payment.gsi1sk, "gsi1pk"
    start = decode_cursor_for(query.cursor, attribute, partition)
    conditions = all_of(Payment.status == query.status if query.status else None,
                        Payment.kind == query.kind if query.kind else None)  # fmt: skip
    result = index.query(partition, window(sort_key, query), filter_condition=conditions,
                         scan_index_forward=False, page_size=query.limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Payment, result)
    items = [payment_out(p, viewer_id=principal.user_id) for p in found if isinstance(p, Payment)]
    return items, encode_cursor(last_key)


def get_payment(principal: Principal, payment_id: str) -> PaymentDetailOut:
    """The payment and its refunds (one Query): for its payer, an owner of one of its stores, or an admin."""
    result = SoukItem.query(keys.payment(payment_id), page_size=DETAIL_PAGE)
    found, _ = one_page(SoukItem, result)
    payment = next((item for item in found if isinstance(item, Payment)), None)
    if payment is None or not _may_see(principal, payment):
        raise NotFound("No such payment.")
    refunds = sorted((item for item in found if isinstance(item, Refund)), key=lambda r: r.created_at)
    return payment_detail_out(payment, refunds, viewer_id=principal.user_id)


def _may_see(principal: Principal, payment: Payment) -> bool:
    if principal.is_admin or principal.user_id == payment.user_id:
        return True
    return principal.role == "store_owner" and principal.user_id in (payment.store_owner_ids or [])
