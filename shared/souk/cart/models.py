"""Cart and coupon entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| Cart | CART#<cartId> | CART | gsi4 expiry index (guest carts) |
| Coupon | COUPON#<CODE> | COUPON | gsi1 USER#<creator>#COUPONS / C#<created>#<code>; gsi2 COUPONS / C#<created>#<code> |
| CouponUse | COUPON#<CODE> | USE#<userId> | |

A customer's cart id is their user id (one cart per customer, found without a lookup); a
guest cart id is a ULID carried in a signed cart token. The lines live inside the cart
item (at most MAX_LINES), so a read is one GetItem and checkout clears the cart with one
write in its transaction.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem, VersionedItem

MAX_LINES = 30  # keeps a whole checkout inside one DynamoDB transaction (docs/commerce.md)
MAX_QUANTITY = 99
# Transaction labels of a coupon's counters, which checkout, cancel and expiry map cancellations by.
COUPON_LABEL = "coupon"  # ConditionalCheckFailed: the coupon is used up (maxUses) or was deleted
COUPON_USE_LABEL = "coupon-use"  # ConditionalCheckFailed: this customer reached the coupon's perUserLimit


class Cart(VersionedItem, discriminator="Cart"):
    cart_id = UnicodeAttribute(attr_name="cartId")
    user_id = UnicodeAttribute(attr_name="userId", null=True)  # None for a guest cart
    coupon_code = UnicodeAttribute(attr_name="couponCode", null=True)
    # [{"id", "productId", "storeId", "sku", "quantity", "seenPrice", "currency", "addedAt"}]: seenPrice is
    # the unit price (minor units) the customer saw when adding; the cart shows a change against it.
    lines = JSONAttribute(default=list)


class Coupon(VersionedItem, discriminator="Coupon"):
    code = UnicodeAttribute()  # upper-case
    owner_id = UnicodeAttribute(attr_name="ownerId")  # who created it (admin or store owner)
    store_id = UnicodeAttribute(attr_name="storeId", null=True)  # None: platform-wide
    type = UnicodeAttribute()  # percent | fixed
    value = NumberAttribute()  # percent 1..100, or minor units
    currency = UnicodeAttribute(null=True)  # fixed coupons only
    min_subtotal = NumberAttribute(attr_name="minSubtotal", default=0)
    max_uses = NumberAttribute(attr_name="maxUses", null=True)  # None: unlimited
    per_user_limit = NumberAttribute(attr_name="perUserLimit", null=True)
    starts_at = UTCDateTimeAttribute(attr_name="startsAt", null=True)
    ends_at = UTCDateTimeAttribute(attr_name="endsAt", null=True)
    uses = NumberAttribute(default=0)  # counted with conditional ADDs at checkout
    status = UnicodeAttribute(default="active")  # active | deleted


class CouponUse(SoukItem, discriminator="CouponUse"):
    code = UnicodeAttribute()
    user_id = UnicodeAttribute(attr_name="userId")
    uses = NumberAttribute(default=0)
