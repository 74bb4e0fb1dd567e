"""Finance entities in the single table (their keys: :mod:`souk.finance.keys`).

| entity | pk | sk | GSIs |
|---|---|---|---|
| StoreBalance | FINANCE#<storeId> | BALANCE | gsi1 FINANCE#NEGATIVE / <storeId> from a debit of available that may have left it negative until a claw-back run finds it >= 0 |
| LedgerEntry | FINANCE#<storeId> | ENTRY#<businessKey> | gsi1 FINANCE#<storeId>#ENTRIES / <stamp>#<businessKey> |
| Commission | FINANCE#<storeId> | COMMISSION#<orderId> | gsi1 RELEASE#<yyyy-mm-dd> / <availableAt>#<storeId>#<orderId> once delivered, until released |
| PayoutAccount | FINANCE#<storeId> | ACCOUNT | gsi1 CONNECT#<stripeAccountId> / ACCOUNT |
| Payout | PAYOUT#<payoutId> | PAYOUT | gsi1 USER#<ownerId>#PAYOUTS, gsi2 PAYOUTS, gsi3 PAYOUTS#<status>, gsi4 FINANCE#<storeId>#PAYOUTS; sort <stamp>#<payoutId> |
| Dispute | FINANCE#<storeId> | DISPUTE#<disputeId> | |
| Clawback | FINANCE#<storeId> | CLAWBACK#<clawbackId> | |
| ClawbackState | FINANCE#<storeId> | CLAWBACKS | |

Entries are immutable and keyed by what caused them (``COMMISSION#<orderId>``,
``PAYOUT#<id>#REQUEST``, ``REVERSAL#<refundId>``...): each is put with a does-not-exist
condition in the same transaction as the balance update, so a retry never posts twice
and the balance is always the sum of the entries.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem, VersionedItem


class StoreBalance(SoukItem, discriminator="StoreBalance"):
    """A store's money by bucket, in minor units; only ever changed beside a ledger entry."""

    store_id = UnicodeAttribute(attr_name="storeId")
    currency = UnicodeAttribute()
    pending = NumberAttribute(default=0)
    available = NumberAttribute(default=0)  # negative after a claw-back, netted by later earnings
    held = NumberAttribute(default=0)  # disputed, until the dispute closes
    in_payout = NumberAttribute(attr_name="inPayout", default=0)
    paid_out = NumberAttribute(attr_name="paidOut", default=0)
    entry_count = NumberAttribute(attr_name="entryCount", default=0)


class LedgerEntry(SoukItem, discriminator="LedgerEntry"):
    """One immutable posting set: ``postings`` maps accounts to signed amounts summing to 0."""

    store_id = UnicodeAttribute(attr_name="storeId")
    business_key = UnicodeAttribute(attr_name="businessKey")
    kind = UnicodeAttribute()
    currency = UnicodeAttribute()
    postings = JSONAttribute()  # {"store:available": 900, "platform:commission": 100, "external:sales": -1000}
    order_id = UnicodeAttribute(attr_name="orderId", null=True)
    payout_id = UnicodeAttribute(attr_name="payoutId", null=True)
    memo = UnicodeAttribute(null=True)


class Commission(VersionedItem, discriminator="Commission"):
    """The platform's cut of one paid order, frozen per line when it was paid.

    ``gross``, ``commission`` and ``net`` are the goods' (``net`` is the store's); ``delivery_fee`` is what the
    customer paid for delivery, the platform's (its courier delivers), never part of the store's net.
    """

    store_id = UnicodeAttribute(attr_name="storeId")
    order_id = UnicodeAttribute(attr_name="orderId")
    currency = UnicodeAttribute()
    # [{"line", "kind", "productId", "sku", "quantity", "gross", "rateBps", "commission", "net",
    #   "reversedGross", "reversedCommission", "reversedNet"}]
    lines = JSONAttribute(default=list)
    gross = NumberAttribute()
    commission = NumberAttribute()
    net = NumberAttribute()
    delivery_fee = NumberAttribute(attr_name="deliveryFee", default=0)
    reversed_gross = NumberAttribute(attr_name="reversedGross", default=0)
    reversed_commission = NumberAttribute(attr_name="reversedCommission", default=0)
    reversed_net = NumberAttribute(attr_name="reversedNet", default=0)
    reversed_delivery_fee = NumberAttribute(attr_name="reversedDeliveryFee", default=0)
    status = UnicodeAttribute()  # pending | available | reversed | partially_reversed
    # {refundId: {"gross", "commission", "deliveryFee", "from", "lines": [[line, gross, commission]]}}: what each
    # refund reversed, so a refund the payment provider refused gives back exactly that.
    reversals = JSONAttribute(default=dict)
    released = NumberAttribute(default=0)  # 1 once the net moved to available
    paid_at = UTCDateTimeAttribute(attr_name="paidAt")
    delivered_at = UTCDateTimeAttribute(attr_name="deliveredAt", null=True)
    available_at = UTCDateTimeAttribute(attr_name="availableAt", null=True)


class PayoutAccount(SoukItem, discriminator="PayoutAccount"):
    """A store's Stripe Connect Express account and its state from ``account.updated``."""

    store_id = UnicodeAttribute(attr_name="storeId")
    stripe_account_id = UnicodeAttribute(attr_name="stripeAccountId")
    status = UnicodeAttribute()  # pending | active | restricted
    # ``created`` of the last account.updated event applied: an older event never wins.
    event_created = NumberAttribute(attr_name="eventCreated", default=0)


class Payout(SoukItem, discriminator="Payout"):
    payout_id = UnicodeAttribute(attr_name="payoutId")
    store_id = UnicodeAttribute(attr_name="storeId")
    owner_id = UnicodeAttribute(attr_name="ownerId")
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # requested | approved | processing | paid | failed | rejected
    stripe_account_id = UnicodeAttribute(attr_name="stripeAccountId", null=True)
    transfer_id = UnicodeAttribute(attr_name="transferId", null=True)
    failure_reason = UnicodeAttribute(attr_name="failureReason", null=True)
    requested_at = UTCDateTimeAttribute(attr_name="requestedAt")
    approved_at = UTCDateTimeAttribute(attr_name="approvedAt", null=True)
    processing_at = UTCDateTimeAttribute(attr_name="processingAt", null=True)
    paid_at = UTCDateTimeAttribute(attr_name="paidAt", null=True)
    attempts = NumberAttribute(default=0)


class Dispute(VersionedItem, discriminator="Dispute"):
    """A Stripe chargeback as it concerns one store of the disputed payment (one item per store).

    Created with the hold (``DISPUTE#<id>#HOLD``); a store's disputes are a Query on its
    partition (``DISPUTE#`` prefix). ``status``, ``evidenceDueBy`` and ``eventCreated`` come
    from the newest event applied; ``feePosted`` and ``settlement`` say what the ledger did.
    """

    dispute_id = UnicodeAttribute(attr_name="disputeId")
    store_id = UnicodeAttribute(attr_name="storeId")
    owner_id = UnicodeAttribute(attr_name="ownerId", null=True)
    payment_id = UnicodeAttribute(attr_name="paymentId")
    charge_id = UnicodeAttribute(attr_name="chargeId", null=True)
    payment_intent_id = UnicodeAttribute(attr_name="paymentIntentId", null=True)
    currency = UnicodeAttribute()
    dispute_amount = NumberAttribute(attr_name="disputeAmount")  # the whole disputed amount, every store
    amount = NumberAttribute()  # this store's gross share
    held = NumberAttribute(default=0)  # this store's net share, moved available -> held
    # {orderId: {"gross", "commission", "lines": [[line, gross, commission]]}}: the share per order and line
    orders = JSONAttribute(default=dict)
    status = UnicodeAttribute()  # Stripe's: warning_needs_response | needs_response | under_review | won | lost...
    reason = UnicodeAttribute(null=True)
    evidence_due_by = UTCDateTimeAttribute(attr_name="evidenceDueBy", null=True)
    event_created = NumberAttribute(attr_name="eventCreated", default=0)  # ``created`` of the newest event applied
    fee = NumberAttribute(default=0)  # this store's share of Stripe's dispute fee, once booked
    fee_payer = UnicodeAttribute(attr_name="feePayer", null=True)  # platform | store
    fee_posted = NumberAttribute(attr_name="feePosted", default=0)
    settlement = UnicodeAttribute(default="open")  # open | won | lost: what the ledger did, once
    settled_at = UTCDateTimeAttribute(attr_name="settledAt", null=True)


class Clawback(SoukItem, discriminator="Clawback"):
    """One reversal of a paid payout's transfer asked of Stripe to recover a negative ``available``.

    Put (``sending``) before Stripe is called; its id is the reversal's idempotency key and
    metadata ``clawbackId``, so an unknown outcome is settled by listing the transfer's
    reversals, never by sending again. ``reversed`` once booked (entry
    ``CLAWBACK#<transferId>#<reversalId>``), ``refused`` when Stripe said no (why in
    ``failureReason``), ``abandoned`` when Stripe was found to hold no reversal of it.
    """

    clawback_id = UnicodeAttribute(attr_name="clawbackId")
    store_id = UnicodeAttribute(attr_name="storeId")
    payout_id = UnicodeAttribute(attr_name="payoutId")
    transfer_id = UnicodeAttribute(attr_name="transferId")
    amount = NumberAttribute()  # asked for; a booked reversal's own amount is ``reversed``
    currency = UnicodeAttribute()
    deficit = NumberAttribute()  # how negative available was when it was planned
    status = UnicodeAttribute()  # sending | reversed | refused | abandoned
    reversal_id = UnicodeAttribute(attr_name="reversalId", null=True)
    reversed_amount = NumberAttribute(attr_name="reversedAmount", default=0)
    failure_reason = UnicodeAttribute(attr_name="failureReason", null=True)
    stripe_code = UnicodeAttribute(attr_name="stripeCode", null=True)
    settled_at = UTCDateTimeAttribute(attr_name="settledAt", null=True)


class ClawbackState(SoukItem, discriminator="ClawbackState"):
    """A store's claw-back runs: the one in flight (one at a time per store) and the transfers Stripe refused.

    ``openId`` is set with the Clawback's put on the condition that none is set, and removed
    when that claw-back is settled: two runs never reverse the same deficit twice.
    ``refused`` maps transfer ids to when Stripe last refused to reverse them; only the daily
    run tries those again.
    """

    store_id = UnicodeAttribute(attr_name="storeId")
    open_id = UnicodeAttribute(attr_name="openId", null=True)
    opened_at = UTCDateTimeAttribute(attr_name="openedAt", null=True)
    refused = JSONAttribute(default=dict)
