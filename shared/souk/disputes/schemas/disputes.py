"""What clients send and see of disputes. :func:`dispute_out` is the one converter of a Dispute item."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from souk.disputes.models import Dispute, DisputeMessage
from souk.money import Money
from souk.schema import CamelModel, NonBlankText, PageQuery, one_line_text

MAX_ATTACHMENTS = 5
DisputeStatus = Literal["open", "resolved", "rejected"]
Resolution = Literal["refund_wallet", "refund_original", "rejected"]
UploadId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Text = Annotated[NonBlankText, StringConstraints(max_length=5000)]


class DisputeIn(CamelModel):
    reason: one_line_text(120) = Field(examples=["item not as described"])  # type: ignore[valid-type]
    description: Text
    attachment_upload_ids: list[UploadId] = Field(
        default_factory=list, max_length=MAX_ATTACHMENTS, description="Your own finished uploads (images, PDFs)."
    )


class MessageIn(CamelModel):
    body: Text
    attachment_upload_ids: list[UploadId] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class ResolutionIn(CamelModel):
    resolution: Resolution
    amount: Money | None = Field(
        None,
        description="Refunds only: in the order's currency, at most what is left to refund; default: all of it.",
        examples=[{"amount": 500, "currency": "usd"}],
    )
    note: Annotated[NonBlankText, StringConstraints(max_length=1000)] | None = None

    @model_validator(mode="after")
    def _amount_only_with_a_refund(self) -> ResolutionIn:
        if self.resolution == "rejected" and self.amount is not None:
            error = InitErrorDetails(type=PydanticCustomError("value_error", "A rejected dispute refunds nothing."),
                                     loc=("amount",), input=None)  # fmt: skip
            raise ValidationError.from_exception_data(type(self).__name__, [error])
        return self


class DisputeQuery(PageQuery):
    status: DisputeStatus | None = Field(None, description="Only disputes in this status (a filter: a page may come "
                                         "back short, with a cursor to go on).")  # fmt: skip


class AttachmentOut(CamelModel):
    upload_id: str


class MessageOut(CamelModel):
    id: str
    author_id: str
    role: str
    body: str
    attachments: list[AttachmentOut]
    at: datetime


class DisputeOut(CamelModel):
    id: str
    order_id: str
    store_id: str
    customer_id: str
    reason: str
    description: str
    attachments: list[AttachmentOut]
    status: DisputeStatus
    resolution: Resolution | None = None
    amount: Money | None = None
    refund_id: str | None = None
    note: str | None = None
    resolved_at: datetime | None = None
    message_count: int
    messages: list[MessageOut] | None = Field(None, description="In the detail only (oldest first); lists leave "
                                              "them out.")  # fmt: skip
    created_at: datetime


def _attachments(ids: list[str] | None) -> list[AttachmentOut]:
    return [AttachmentOut(upload_id=i) for i in ids or []]


def message_out(message: DisputeMessage) -> MessageOut:
    return MessageOut(id=message.message_id, author_id=message.author_id, role=message.role, body=message.body,
                      attachments=_attachments(message.attachment_upload_ids), at=message.created_at)  # fmt: skip


def dispute_out(dispute: Dispute, messages: list[DisputeMessage] | None = None) -> DisputeOut:
    amount = None if dispute.amount is None else Money(amount=int(dispute.amount), currency=dispute.currency)
    return DisputeOut(
        id=dispute.dispute_id, order_id=dispute.order_id, store_id=dispute.store_id, customer_id=dispute.customer_id,
        reason=dispute.reason, description=dispute.description,
        attachments=_attachments(dispute.attachment_upload_ids),
        status=dispute.status,  # type: ignore[arg-type]
        resolution=dispute.resolution,  # type: ignore[arg-type]
        amount=amount, refund_id=dispute.refund_id, note=dispute.note, resolved_at=dispute.resolved_at,
        message_count=int(dispute.message_count or 0),
        messages=None if messages is None else [message_out(m) for m in messages], created_at=dispute.created_at,
    )  # fmt: skip
