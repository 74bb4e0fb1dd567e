"""GET /api/v1/payments and GET /api/v1/payments/{paymentId}.

The list is one Query per page: the caller's payments as payer (gsi1
``USER#<id>#PAYMENTS``) or, for admins, every payment (gsi2 ``PAYMENTS``), newest first;
``from``/``to`` are a range on the timeline sort key, ``status`` and ``kind`` a
FilterExpression (so a filtered page may come back short, with a cursor to go on). The
detail is one Query on the payment's partition: the payment and its refunds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from souk.db import keys
from souk.db.base import SoukItem
from souk.db.paging import one_page
from souk.http.errors import NotFound, ValidationFailed
from souk.http.pagination import PageQuery, decode_cursor, encode_cursor
from souk.jobs import expiry
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
    from pynamodb.expressions.condition import Condition

    from souk.auth.principal import Principal

# A payment's partition holds the payment and its refunds: one page of this many items is all of them.
DETAIL_PAGE = 500


class PaymentsQuery(PageQuery):
    status: PaymentStatus | None = None
    kind: PaymentKind | None = None
    from_: datetime | None = Field(None, alias="from", description="Created at or after (ISO-8601, UTC if no zone).")
    to: datetime | None = Field(None, description="Created at or before (ISO-8601, UTC if no zone).")

    @model_validator(mode="after")
    def _range(self) -> PaymentsQuery:
        if self.from_ and self.to and _utc(self.from_) > _utc(self.to):
            raise ValueError("`from` must not be after `to`")
        return self


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _own_cursor(cursor: str | None, attribute: str, partition: str) -> dict[str, Any] | None:
    """The position in a cursor made for this very list (another list's cursor is a 400)."""
    start = decode_cursor(cursor)
    if start is not None and start.get(attribute) != {"S": partition}:
        raise ValidationFailed.field("cursor", "The cursor belongs to another list; start again without it.")
    return start


def _range_condition(sort_key: Any, query: PaymentsQuery) -> Condition | None:
    low = keys.timeline_sort(expiry.stamp(_utc(query.from_)), "") if query.from_ else None
    # "~" sorts after every id character: everything stamped exactly at ``to`` is included.
    high = keys.timeline_sort(expiry.stamp(_utc(query.to)), "~") if query.to else None
    if low and high:
        return sort_key.between(low, high)
    if low:
        return sort_key >= low
    if high:
        return sort_key <= high
    return None


def _filter(query: PaymentsQuery) -> Condition | None:
    condition: Condition | None = None
    for part in (Payment.status == query.status if query.status else None,
                 Payment.kind == query.kind if query.kind else None):  # fmt: skip
        if part is not None:
            condition = part if condition is None else condition & part
    return condition


def list_payments(principal: Principal, query: PaymentsQuery) -> tuple[list[PaymentOut], str | None]:
    """The caller's payments as payer, or every payment for an admin; newest first, one Query."""
    index: Any
    if principal.is_admin:
        index, partition, sort_key, attribute = Payment.gsi2, keys.PAYMENTS_ALL, Payment.gsi2sk, "gsi2pk"
    else:
        index, partition = Payment.gsi1, keys.user_payments(principal.user_id)
        sort_key, attribute = Payment.gsi1sk, "gsi1pk"
    start = _own_cursor(query.cursor, attribute, partition)
    result = index.query(partition, _range_condition(sort_key, query), filter_condition=_filter(query),
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
