"""What clients see of a payment and its refunds (payment routes, refund route), and the list's query."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from souk.db.timeline import TimelineQuery
from souk.money import Money
from souk.payments.models import Payment, Refund
from souk.schema import CamelModel

PaymentKind = Literal["order", "topup"]
PaymentStatus = Literal["pending", "succeeded", "failed", "canceled", "refunded", "partially_refunded"]
RefundStatus = Literal["pending", "succeeded", "failed"]


class PaymentsQuery(TimelineQuery):
    """Query string of GET /payments."""

    status: PaymentStatus | None = None
    kind: PaymentKind | None = None


class RefundOut(CamelModel):
    id: str
    amount: Money
    to: Literal["original", "wallet"]
    reason: str
    status: RefundStatus
    order_id: str | None = None
    created_at: datetime


class PaymentOut(CamelModel):
    id: str
    kind: PaymentKind
    method: Literal["card", "wallet"]
    status: PaymentStatus
    amount: Money
    refunded: Money
    order_ids: list[str]
    client_secret: str | None = Field(None, description="Only while pending, and only to the payer.")
    failure_reason: str | None = None
    created_at: datetime
    updated_at: datetime


class PaymentDetailOut(PaymentOut):
    refunds: list[RefundOut] = Field(default_factory=list, description="Oldest first.")


def refund_out(refund: Refund) -> RefundOut:
    return RefundOut(id=refund.refund_id, amount=Money(amount=int(refund.amount), currency=refund.currency),
                     to=refund.to, reason=refund.reason, status=refund.status,  # type: ignore[arg-type]
                     order_id=refund.order_id, created_at=refund.created_at)  # fmt: skip


def payment_out(payment: Payment, *, viewer_id: str | None = None) -> PaymentOut:
    """``clientSecret`` only when the payment is still pending and ``viewer_id`` is the payer."""
    show_secret = payment.status == "pending" and viewer_id is not None and viewer_id == payment.user_id
    return PaymentOut(
        id=payment.payment_id, kind=payment.kind, method=payment.method, status=payment.status,  # type: ignore[arg-type]
        amount=Money(amount=int(payment.amount), currency=payment.currency),
        refunded=Money(amount=int(payment.refunded_amount or 0), currency=payment.currency),
        order_ids=[str(i) for i in payment.order_ids or []],
        client_secret=payment.client_secret if show_secret else None, failure_reason=payment.failure_reason,
        created_at=payment.created_at, updated_at=payment.updated_at,
    )  # fmt: skip


def payment_detail_out(payment: Payment, refunds: list[Refund], *, viewer_id: str | None = None) -> PaymentDetailOut:
    base = payment_out(payment, viewer_id=viewer_id)
    return PaymentDetailOut(**base.model_dump(), refunds=[refund_out(r) for r in refunds])
