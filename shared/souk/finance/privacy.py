"""Finance's privacy hook (souk.privacy): a store owner's payouts, balances, commissions and ledgers.

Refusal (one Query and one BatchGetItem): among the owner's first :data:`REFUSAL_STORES` stores
(catalog's gsi1 ``USER#<owner>#STORES``), a store whose balance (``FINANCE#<storeId>`` / ``BALANCE``)
has money ``pending`` (a paid order not yet delivered, or delivered and still in its hold: orders cannot
be read by status cheaply, the balance says it in one item), ``held`` (a dispute open), ``inPayout`` (a
payout requested, approved or processing) or ``available`` above zero (money still to pay out to them);
an owner of more stores than that is refused too (not checked in one call). A balance below zero (a
claw-back the platform could not recover) does not hold the erasure.

Export: the owner's payouts (gsi1 ``USER#<owner>#PAYOUTS``, a page a call), then store by store (catalog's
store list, Limit 1) every finance item of the store's partition ``FINANCE#<storeId>``, a page a call: the
payout account link (the Stripe Connect account id and its status), the balance, the commission entries,
the ledger entries, disputes and claw-backs.

Erase: nothing (a no-op step, None). What finance keeps is the platform's accounting: amounts, statuses,
order, payout, transfer and Stripe account ids and the owner's id (whose user item is anonymised last);
it holds no name, email, address or bank detail (those stay with Stripe, whose Connect account is not
deleted: README, Privacy).
"""

from __future__ import annotations

from typing import Any

from souk.catalog.store import stores as catalog_stores
from souk.db import personal
from souk.db.base import SoukItem
from souk.db.paging import decode_cursor, encode_cursor
from souk.finance.keys import BALANCE, store_finance
from souk.finance.models import LedgerEntry, StoreBalance
from souk.finance.store.payouts import payouts_page

ORDER = 26  # after catalog's: nothing to erase, refusal checked at the request
REFUSAL_STORES = 100
_KINDS = {"PayoutAccount": "payout_account", "StoreBalance": "balance", "Commission": "commission",
          "LedgerEntry": "ledger_entry", "Dispute": "finance_dispute", "Clawback": "clawback",
          "ClawbackState": "clawback_state"}  # fmt: skip


def _why(name: str, balance: StoreBalance) -> str | None:
    if int(balance.pending or 0) > 0:
        return (f"Your store {name} has paid orders not yet delivered or still in their hold period: fulfil them, "
                "and pay out what they earn, before deleting your account.")  # fmt: skip
    if int(balance.held or 0) > 0:
        return f"Your store {name} has a disputed payment open: wait until it closes before deleting your account."
    if int(balance.in_payout or 0) > 0:
        return f"Your store {name} has a payout in progress: wait until it is paid before deleting your account."
    if int(balance.available or 0) > 0:
        return f"Your store {name} has an available balance: request a payout of it before deleting your account."
    return None


def refusal(user_id: str) -> str | None:
    stores, more = catalog_stores.owner_page(user_id, limit=REFUSAL_STORES)
    if more:
        return f"You own more than {REFUSAL_STORES} stores: contact support to delete your account."
    names = {s.store_id: s.name for s in stores}
    if not names:
        return None
    for balance in StoreBalance.batch_get([(store_finance(i), BALANCE) for i in names]):
        if isinstance(balance, StoreBalance) and (reason := _why(names.get(balance.store_id, ""), balance)):
            return reason
    return None


def _row(item: SoukItem) -> dict[str, Any]:
    """The item's row; a ledger entry's own ``kind`` (sale, payout...) as ``entryKind``."""
    row = personal.row(_KINDS.get(type(item).__name__, "finance_item"), item, drop=("kind",))
    if isinstance(item, LedgerEntry):
        row["entryKind"] = item.kind
    return row


def _store_items(store_id: str, last_key: dict[str, Any] | None) -> tuple[list[SoukItem], dict[str, Any] | None]:
    return personal.page(SoukItem.query(store_finance(store_id), page_size=personal.PAGE,
                                        last_evaluated_key=last_key))  # fmt: skip


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    state = decode_cursor(cursor) or {"p": "payouts"}
    if state.get("p") == "payouts":
        payouts, inner = payouts_page(owner_id=user_id, store_id=None, status=None, cursor=state.get("c") or None,
                                      limit=personal.PAGE)  # fmt: skip
        rows = [personal.row("payout", p) for p in payouts]
        return rows, encode_cursor({"p": "payouts", "c": inner} if inner else {"p": "stores", "s": {}, "id": ""})
    store_id = state.get("id") or None
    if store_id is None:  # the next store (Limit 1), or the end
        if state.get("e"):
            return [], None
        found, next_key = catalog_stores.next_store(owner_id=user_id, last_key=state.get("s") or None)
        if found is None:
            return [], None
        state = {"p": "stores", "s": next_key or {}, "e": next_key is None, "id": found.store_id, "k": {}}
        return [], encode_cursor(state)
    items, more = _store_items(store_id, state.get("k") or None)
    rows = [_row(i) for i in items]
    if more is None and state.get("e"):
        return rows, None
    following = {"p": "stores", "s": state.get("s") or {}, "e": bool(state.get("e")), "id": store_id if more else "",
                 "k": more or {}}  # fmt: skip
    return rows, encode_cursor(following)


def erase(user_id: str, cursor: str | None) -> str | None:
    return None  # kept as it is: see the module doc
