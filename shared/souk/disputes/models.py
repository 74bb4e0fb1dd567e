"""Dispute and return entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| Dispute | DISPUTE#<id> | DISPUTE#<id> | gsi1 USER#<customer>#DISPUTES, gsi2 USER#<storeOwner>#STORE_DISPUTES, gsi3 DISPUTES; each / C#<created>#<id> |
| DisputeMessage | DISPUTE#<id> | MSG#<messageId> | |
| OpenDispute | DISPUTED#<orderId> | DISPUTED#<orderId> | |
| ProductReturn | RETURN#<id> | RETURN#<id> | gsi1 USER#<customer>#RETURNS, gsi2 USER#<storeOwner>#STORE_RETURNS, gsi3 RETURNS; each / C#<created>#<id> |
| ReturnedLine | RETURNED#<orderId> | LINE#<productId>#<sku> | |

A dispute and its messages share a partition, so its detail is one Query. An order has at
most one OpenDispute (its one open dispute, put on ``attribute_not_exists`` and deleted in the
transaction that closes it). A ReturnedLine counts the units of one order line requested back
by returns not rejected; its condition (``quantity <= bought - asked``) is the cap.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem

OPEN, RESOLVED, REJECTED = "open", "resolved", "rejected"
REQUESTED, APPROVED, RECEIVED, REFUNDED = "requested", "approved", "received", "refunded"


class Dispute(SoukItem, discriminator="OrderDispute"):  # finance.models.Dispute is a Stripe dispute
    dispute_id = UnicodeAttribute(attr_name="disputeId")
    order_id = UnicodeAttribute(attr_name="orderId")
    customer_id = UnicodeAttribute(attr_name="customerId")
    store_id = UnicodeAttribute(attr_name="storeId")
    store_owner_id = UnicodeAttribute(attr_name="storeOwnerId")
    currency = UnicodeAttribute()
    reason = UnicodeAttribute()
    description = UnicodeAttribute()
    attachment_upload_ids = ListAttribute[str](of=UnicodeAttribute, attr_name="attachmentUploadIds", default=list)  # type: ignore[arg-type]
    status = UnicodeAttribute(default=OPEN)  # open | resolved | rejected
    resolution = UnicodeAttribute(null=True)  # refund_wallet | refund_original | rejected
    amount = NumberAttribute(null=True)  # refunded, minor units
    refund_id = UnicodeAttribute(attr_name="refundId", null=True)
    note = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(attr_name="resolvedBy", null=True)
    resolved_at = UTCDateTimeAttribute(attr_name="resolvedAt", null=True)
    message_count = NumberAttribute(attr_name="messageCount", default=0)


class DisputeMessage(SoukItem, discriminator="DisputeMessage"):
    message_id = UnicodeAttribute(attr_name="messageId")
    dispute_id = UnicodeAttribute(attr_name="disputeId")
    author_id = UnicodeAttribute(attr_name="authorId")
    role = UnicodeAttribute()  # customer | store_owner | admin
    body = UnicodeAttribute()
    attachment_upload_ids = ListAttribute[str](of=UnicodeAttribute, attr_name="attachmentUploadIds", default=list)  # type: ignore[arg-type]


class OpenDispute(SoukItem, discriminator="OpenDispute"):
    """The order's one open dispute: its existence is the lock a second dispute fails on."""

    dispute_id = UnicodeAttribute(attr_name="disputeId")


class ProductReturn(SoukItem, discriminator="ProductReturn"):
    return_id = UnicodeAttribute(attr_name="returnId")
    order_id = UnicodeAttribute(attr_name="orderId")
    customer_id = UnicodeAttribute(attr_name="customerId")
    store_id = UnicodeAttribute(attr_name="storeId")
    store_owner_id = UnicodeAttribute(attr_name="storeOwnerId")
    currency = UnicodeAttribute()
    # [{"productId", "variantSku", "quantity", "value"}]: value = what those units were paid, minor units
    items = JSONAttribute(default=list)
    reason = UnicodeAttribute()
    status = UnicodeAttribute(default=REQUESTED)
    status_reason = UnicodeAttribute(attr_name="statusReason", null=True)
    # [{"status", "at", "actorId", "role", "reason"}], oldest first
    history = ListAttribute(of=JSONAttribute, default=list)
    refund_id = UnicodeAttribute(attr_name="refundId", null=True)
    refunded_amount = NumberAttribute(attr_name="refundedAmount", null=True)


class ReturnedLine(SoukItem, discriminator="ReturnedLine"):
    """Units of one order line asked back by returns that are not rejected."""

    order_id = UnicodeAttribute(attr_name="orderId")
    product_id = UnicodeAttribute(attr_name="productId")
    sku = UnicodeAttribute()
    quantity = NumberAttribute(default=0)
