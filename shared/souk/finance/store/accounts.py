"""Payout accounts: a store's Stripe Connect account item."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.finance.keys import ACCOUNT, connect_account, store_finance
from souk.finance.models import PayoutAccount

ACCOUNT_LABEL = "payout-account"  # a ConditionalCheckFailed on it: another request or event got there first


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


def new_account(store_id: str, stripe_account_id: str) -> PayoutAccount:
    now = utc_now()
    return PayoutAccount(
        pk=store_finance(store_id), sk=ACCOUNT, gsi1pk=connect_account(stripe_account_id), gsi1sk=ACCOUNT,
        store_id=store_id, stripe_account_id=stripe_account_id, status="pending", event_created=0,
        created_at=now, updated_at=now,
    )  # fmt: skip


def add_account(tx: WriteTransaction, account: PayoutAccount) -> None:
    """Put the store's account item, only if the store has none yet (fails on :data:`ACCOUNT_LABEL`)."""
    tx.put(account, PayoutAccount.pk.does_not_exist(), label=ACCOUNT_LABEL)


def set_status(tx: WriteTransaction, account: PayoutAccount, status: str, created: int) -> None:
    """The status an ``account.updated`` of ``created`` says, only if no newer event was applied."""
    tx.update(
        account,
        [PayoutAccount.status.set(status), PayoutAccount.event_created.set(created),
         PayoutAccount.updated_at.set(utc_now())],
        PayoutAccount.pk.exists() & (PayoutAccount.event_created < created),
        label=ACCOUNT_LABEL,
    )  # fmt: skip
