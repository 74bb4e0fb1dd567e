"""A store's balance, as stored and as recomputed from its ledger entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from souk.caller import ensure_owner
from souk.catalog.service.stores import get_store
from souk.finance import ledger
from souk.finance.schemas import AccountStatus, BalanceOut, balance_out
from souk.finance.store import accounts
from souk.finance.store import ledger as ledger_store

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.catalog.models import Store


def owned_store(principal: Principal, store_id: str) -> Store:
    """The store, if the caller owns it or is an admin; 404 otherwise (as if it did not exist)."""
    found = get_store(store_id)
    ensure_owner(principal, found.owner_id)
    return found


def account_status(store_id: str) -> AccountStatus:
    account = accounts.load_account(store_id)
    return "none" if account is None else account.status  # type: ignore[return-value]


def read_balance(principal: Principal, store_id: str) -> BalanceOut:
    """Three GetItems whatever the store's history (after the caller's session): the store, its
    balance, its payout account."""
    found = owned_store(principal, store_id)
    return balance_out(ledger_store.load_balance(store_id), found.currency, account_status(store_id))


@dataclass(frozen=True)
class Reconciliation:
    store_id: str
    stored: dict[str, int]
    recomputed: dict[str, int]
    entries: int

    @property
    def matches(self) -> bool:
        return self.stored == self.recomputed


def reconcile(store_id: str) -> Reconciliation:
    """The stored balance against the sum of every entry of the store (pages through them all)."""
    postings = [ledger_store.raw_postings(item) for item in ledger_store.entries(store_id)]
    balance = ledger_store.load_balance(store_id, consistent=True)
    stored = {bucket: int(getattr(balance, bucket)) if balance else 0 for bucket in ledger.BUCKETS}
    return Reconciliation(store_id, stored, ledger.balance_of(postings), len(postings))
