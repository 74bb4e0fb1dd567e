"""Wallet entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| Wallet | WALLET#<userId> | WALLET | |
| WalletEntry | WALLET#<userId> | TX#<entryId> | gsi1 WALLET#<userId> / <stamp>#<entryId> (time order; stamp: keys.timeline_sort) |

The balance item and a ledger entry are always written in one transaction; entries are
never updated or deleted. A debit is conditional on ``balance >= amount`` (never below 0).
An entry caused by something that must count once (a top-up, a refund) uses an id derived
from that thing, with a does-not-exist condition, so a retry cannot credit twice.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from souk.db.base import SoukItem


class Wallet(SoukItem, discriminator="Wallet"):
    user_id = UnicodeAttribute(attr_name="userId")
    balance = NumberAttribute(default=0)  # minor units
    currency = UnicodeAttribute()


class WalletEntry(SoukItem, discriminator="WalletEntry"):
    entry_id = UnicodeAttribute(attr_name="entryId")
    user_id = UnicodeAttribute(attr_name="userId")
    type = UnicodeAttribute()  # credit | debit | refund | topup | payout
    amount = NumberAttribute()  # signed: credits > 0, debits < 0
    currency = UnicodeAttribute()
    reference_type = UnicodeAttribute(attr_name="referenceType", null=True)  # order | payment | refund | payout
    reference_id = UnicodeAttribute(attr_name="referenceId", null=True)
    description = UnicodeAttribute(null=True)
