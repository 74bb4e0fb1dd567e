"""Order entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| Order | ORDER#<id> | ORDER#<id> | gsi1 USER#<customer>#ORDERS / <stamp>#<id>; gsi2 USER#<storeOwner>#SALES / <stamp>#<id>; gsi3 ORDERS / <stamp>#<id>; gsi4 expiry index while pending_payment, then USER#<courier>#DELIVERIES / <stamp>#<id> once assigned |
| Purchase | USER#<customer>#PURCHASES | PRODUCT#<productId>#<orderId> or STORE#<storeId>#<orderId> | |

An order belongs to one store. Its lines, status history and refund total live inside
the item: a checkout writes one item per order, and a detail read is one GetItem.
:func:`move_actions` is the one update that moves an order's status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem, utc_now
from souk.orders.status import history_entry

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from souk.caller import Actor


class Order(SoukItem, discriminator="Order"):
    order_id = UnicodeAttribute(attr_name="orderId")
    checkout_id = UnicodeAttribute(attr_name="checkoutId")  # the orders of one checkout share it
    customer_id = UnicodeAttribute(attr_name="customerId")
    store_id = UnicodeAttribute(attr_name="storeId")
    store_owner_id = UnicodeAttribute(attr_name="storeOwnerId")
    courier_id = UnicodeAttribute(attr_name="courierId", null=True)
    delivery_id = UnicodeAttribute(attr_name="deliveryId", null=True)  # its current delivery (souk.dispatch)
    status = UnicodeAttribute()  # see souk.orders.status
    # [{"productId", "sku", "name", "variantName", "quantity", "unitPrice", "lineTotal"}], amounts in minor units
    lines = JSONAttribute(default=list)
    currency = UnicodeAttribute()
    subtotal = NumberAttribute()
    discount = NumberAttribute(default=0)
    delivery_fee = NumberAttribute(attr_name="deliveryFee", default=0)
    total = NumberAttribute()
    coupon_code = UnicodeAttribute(attr_name="couponCode", null=True)
    address = JSONAttribute(null=True)  # snapshot of the delivery address at checkout
    payment_method = UnicodeAttribute(attr_name="paymentMethod")  # card | wallet
    payment_id = UnicodeAttribute(attr_name="paymentId")
    paid_amount = NumberAttribute(attr_name="paidAmount", default=0)
    refunded_amount = NumberAttribute(attr_name="refundedAmount", default=0)
    # Stock is held until then while pending_payment (checkout + 30 minutes).
    reserved_until = UTCDateTimeAttribute(attr_name="reservedUntil", null=True)
    # [{"status", "at", "actorId", "role", "reason"}], oldest first, appended with list_append.
    history = ListAttribute(of=JSONAttribute, default=list)
    # Loyalty points redeemed at checkout (souk.points): {"redeemed", "value", "draws": [{"lot", "points",
    # "expiresAt"}]}; ``value`` is part of ``discount``. What a cancellation or full refund gives back.
    points = JSONAttribute(null=True)


class Purchase(SoukItem, discriminator="Purchase"):
    """What a customer received: written once per product line (and once for the store) in the
    transaction that moves an order to ``delivered``; never changed after. Domains above orders
    (reviews) ask "did this customer receive this product / from this store" with one read."""

    customer_id = UnicodeAttribute(attr_name="customerId")
    order_id = UnicodeAttribute(attr_name="orderId")
    store_id = UnicodeAttribute(attr_name="storeId")
    target_type = UnicodeAttribute(attr_name="targetType")  # product | store
    target_id = UnicodeAttribute(attr_name="targetId")
    delivered_at = UTCDateTimeAttribute(attr_name="deliveredAt")


def move_actions(order: Order, target: str, actor: Actor | None, reason: str | None = None
                 ) -> tuple[list[Action], Condition]:  # fmt: skip
    """The update that moves ``order`` to ``target``, conditional on the status it was read with.

    Callers add them to a WriteTransaction (``tx.update(order, actions, condition)``) or
    ``order.update(actions, condition)``; a failed condition means someone moved it first.
    Leaving ``pending_payment`` also takes the order out of the expiry index.
    """
    actions: list[Action] = [
        Order.status.set(target),
        Order.history.set(Order.history.append([history_entry(target, actor, reason)])),
        Order.updated_at.set(utc_now()),
    ]
    if order.status == "pending_payment" and order.gsi4pk and order.gsi4pk.startswith("EXPIRES#"):
        actions += [Order.gsi4pk.remove(), Order.gsi4sk.remove()]
    return actions, (Order.status == order.status)
