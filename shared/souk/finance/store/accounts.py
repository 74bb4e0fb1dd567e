"""Payout accounts: a store's Stripe Connect account item."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from souk.finance.models import ACCOUNT, PayoutAccount, connect_account, store_finance


def load_account(store_id: str, *, consistent: bool = False) -> PayoutAccount | None:
    try:
        return PayoutAccount.get(store_finance(store_id), ACCOUNT, consistent_read=consistent)
    except DoesNotExist:
        return None


def account_by_stripe_id(stripe_account_id: str) -> PayoutAccount | None:
    for item in PayoutAccount.gsi1.query(connect_account(stripe_account_id), limit=1):
        if isinstance(item, PayoutAccount):
            return item
    return None
