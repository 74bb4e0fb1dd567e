"""The double-entry rules of store money: pure, no AWS.

Every movement is an :class:`Entry` whose postings (account -> signed minor units) sum
to zero. A store's accounts are its balance buckets (``store:pending``,
``store:available``, ``store:held``, ``store:in_payout``, ``store:paid_out``); the other
side is the platform (its commission, the delivery fees it collects to pay its couriers, the
dispute fees it bears) or the outside world (what customers paid, what couriers' wallets were
credited, what Stripe withdrew). A store's balance is the sum of the store
postings of its entries, which :func:`balance_of` computes and the reconciliation
compares with the stored balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

BUCKETS: tuple[str, ...] = ("pending", "available", "held", "in_payout", "paid_out")
STORE = "store:"
PLATFORM_COMMISSION = "platform:commission"
# Delivery fees: the platform's couriers deliver, so the platform collects the fee (never the store) and pays
# the courier from it; what it gave back to customers after paying the courier leaves it negative.
PLATFORM_DELIVERY = "platform:delivery_fees"
PLATFORM_FEES = "platform:dispute_fees"
SALES = "external:sales"  # what customers paid, less what they got back
COURIERS = "external:couriers"  # the delivery fees credited to couriers' wallets
STRIPE_DISPUTES = "external:disputes"  # what card networks took back
ACCOUNTS = frozenset({*(STORE + b for b in BUCKETS), PLATFORM_COMMISSION, PLATFORM_DELIVERY, PLATFORM_FEES, SALES,
                      COURIERS, STRIPE_DISPUTES})  # fmt: skip


class UnbalancedEntry(ValueError):
    """A posting set that does not sum to zero, or names an unknown account: a bug, never input."""


@dataclass(frozen=True)
class Entry:
    store_id: str
    business_key: str  # what caused it, unique per store: a retry finds it already posted
    kind: str
    currency: str
    postings: Mapping[str, int]
    order_id: str | None = None
    payout_id: str | None = None
    memo: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.postings) - ACCOUNTS
        if unknown:
            raise UnbalancedEntry(f"unknown accounts {sorted(unknown)}")
        if sum(self.postings.values()) != 0:
            raise UnbalancedEntry(f"{self.business_key}: postings sum to {sum(self.postings.values())}")
        if any(not isinstance(v, int) or isinstance(v, bool) for v in self.postings.values()):
            raise UnbalancedEntry(f"{self.business_key}: amounts are whole minor units")

    def store_deltas(self) -> dict[str, int]:
        """Bucket -> change, for the store's balance item."""
        return {a.removeprefix(STORE): v for a, v in self.postings.items() if a.startswith(STORE) and v}


def _postings(**amounts: int) -> dict[str, int]:
    return {account: amount for account, amount in amounts.items() if amount}


def sale(store_id: str, order_id: str, currency: str, *, gross: int, commission: int, delivery_fee: int = 0) -> Entry:
    """An order paid: the customer's money (``gross`` of goods and the ``delivery_fee``) splits into the
    platform's cut of the goods, the delivery fee (the platform's, to pay its courier) and the store's
    pending net (``gross - commission``: nothing of the fee)."""
    return Entry(store_id, f"COMMISSION#{order_id}", "commission", currency, {
        SALES: -(gross + delivery_fee), PLATFORM_COMMISSION: commission, STORE + "pending": gross - commission,
        **({PLATFORM_DELIVERY: delivery_fee} if delivery_fee else {}),
    }, order_id=order_id)  # fmt: skip


def release(store_id: str, order_id: str, currency: str, *, net: int) -> Entry:
    """The hold after delivery is over: the net becomes available."""
    return Entry(store_id, f"RELEASE#{order_id}", "release", currency,
                 {STORE + "pending": -net, STORE + "available": net}, order_id=order_id)  # fmt: skip


def reversal(store_id: str, key: str, currency: str, *, gross: int, commission: int, from_bucket: str,
             delivery_fee: int = 0, order_id: str | None = None) -> Entry:  # fmt: skip
    """Money back to a customer (refund, return, lost dispute) for the lines it covers: the
    store gives back its net from ``from_bucket`` (pending before release, available after,
    which may go negative), the platform its commission, at the lines' frozen rates, and the
    platform the ``delivery_fee`` refunded (never the store: it never had it)."""
    if from_bucket not in ("pending", "available", "held"):
        raise UnbalancedEntry(f"a reversal cannot take from {from_bucket}")
    return Entry(store_id, key, "reversal", currency, {
        SALES: gross + delivery_fee, PLATFORM_COMMISSION: -commission, STORE + from_bucket: -(gross - commission),
        **({PLATFORM_DELIVERY: -delivery_fee} if delivery_fee else {}),
    }, order_id=order_id)  # fmt: skip


def courier_fee(store_id: str, delivery_id: str, currency: str, *, fee: int, order_id: str) -> Entry:
    """The platform's courier delivered the store's order: the delivery fee the platform collected is
    credited to the courier's wallet (entry ``COURIER#<deliveryId>``; no store money moves)."""
    return Entry(store_id, f"COURIER#{delivery_id}", "courier_fee", currency,
                 {PLATFORM_DELIVERY: -fee, COURIERS: fee}, order_id=order_id)  # fmt: skip


def move(store_id: str, key: str, kind: str, currency: str, *, amount: int, source: str, target: str,
         order_id: str | None = None, payout_id: str | None = None, memo: str | None = None) -> Entry:  # fmt: skip
    """Store money from one bucket to another (release, payout request, paid, returned, dispute hold)."""
    return Entry(store_id, key, kind, currency, {STORE + source: -amount, STORE + target: amount},
                 order_id=order_id, payout_id=payout_id, memo=memo)  # fmt: skip


def dispute_fee(store_id: str, key: str, currency: str, *, fee: int, payer: str) -> Entry:
    """Stripe's fee for a withdrawn dispute, borne by the platform unless the settings say the store."""
    bearer = PLATFORM_FEES if payer == "platform" else STORE + "available"
    return Entry(store_id, key, "dispute_fee", currency, {STRIPE_DISPUTES: fee, bearer: -fee})


def balance_of(entries: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Bucket -> sum of the store postings of ``entries`` (each entry's postings map)."""
    totals = dict.fromkeys(BUCKETS, 0)
    for postings in entries:
        for account, amount in postings.items():
            if account.startswith(STORE):
                totals[account.removeprefix(STORE)] += amount
    return totals
