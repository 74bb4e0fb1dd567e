"""Loyalty points entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| PointsAccount | POINTS#<userId> | ACCOUNT | |
| PointsLot | POINTS#<userId> | LOT#<orderId> | gsi1 POINTS_EXPIRY#<yyyy-mm-dd> / <expiresAt>#<userId>#<lotId> (until expired); gsi2 POINTS#<userId>#OPEN / <expiresAt>#<lotId> (while it holds points) |
| PointsEntry | POINTS#<userId> | ENTRY#<entryId> | gsi1 POINTS#<userId>#ENTRIES / <at>#<entryId> |
| PointsSpend | POINTS#<userId> | SPEND#<currency>#<yyyy-mm> | |

The balance is the account's ``balance``, always changed in the transaction that puts the entry
explaining the change, so it equals the sum of the entries' (signed) ``points``. A lot is the
points one delivered order earned, with the date they expire; ``remaining`` is what is left of
it. Entries have deterministic ids derived from their cause and are put on a does-not-exist
condition, so a retried cause never counts twice.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem

EARNED = "earned"
REDEEMED = "redeemed"
EXPIRED = "expired"
RESTORED = "restored"
REVERSED = "reversed"


class PointsAccount(SoukItem, discriminator="PointsAccount"):
    user_id = UnicodeAttribute(attr_name="userId")
    balance = NumberAttribute(default=0)  # may be < 0 after a reversal; later earnings offset it


class PointsLot(SoukItem, discriminator="PointsLot"):
    lot_id = UnicodeAttribute(attr_name="lotId")  # the order that earned it
    user_id = UnicodeAttribute(attr_name="userId")
    points = NumberAttribute()  # earned
    remaining = NumberAttribute()
    currency = UnicodeAttribute()
    basis = NumberAttribute()  # what was paid (less refunds) when the order was delivered: the earning's base
    refunded = NumberAttribute(default=0)  # refunded since the earning (never counted above basis)
    reversed = NumberAttribute(default=0)  # points taken back by those refunds
    month = UnicodeAttribute()  # yyyy-mm of the earning (the spend counter refunds come off)
    lot_expires_at = UTCDateTimeAttribute(attr_name="expiresAt")
    expired_at = UTCDateTimeAttribute(attr_name="expiredAt", null=True)  # set once by the daily job
    reminded_at = UTCDateTimeAttribute(attr_name="remindedAt", null=True)  # set once by the reminder


class PointsEntry(SoukItem, discriminator="PointsEntry"):
    entry_id = UnicodeAttribute(attr_name="entryId")
    user_id = UnicodeAttribute(attr_name="userId")
    type = UnicodeAttribute()  # earned | redeemed | expired | restored | reversed
    points = NumberAttribute()  # signed: earned and restored > 0, the others < 0
    order_id = UnicodeAttribute(attr_name="orderId", null=True)
    lot_id = UnicodeAttribute(attr_name="lotId", null=True)
    entry_expires_at = UTCDateTimeAttribute(attr_name="expiresAt", null=True)
    # redeemed and restored: [{"lot", "points", "expiresAt"}], the lots the points came from / went back to
    draws = JSONAttribute(null=True)


class PointsSpend(SoukItem, discriminator="PointsSpend"):
    user_id = UnicodeAttribute(attr_name="userId")
    currency = UnicodeAttribute()
    month = UnicodeAttribute()
    amount = NumberAttribute(default=0)
