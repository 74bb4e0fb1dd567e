"""Claw-backs in the table: the Clawback records, a store's claw-back state and the negative-balance index.

| item | pk | sk | GSIs |
|---|---|---|---|
| Clawback | FINANCE#<storeId> | CLAWBACK#<clawbackId> | |
| ClawbackState | FINANCE#<storeId> | CLAWBACKS | |
| StoreBalance | FINANCE#<storeId> | BALANCE | gsi1 FINANCE#NEGATIVE / <storeId> |

A claw-back is opened in one transaction: the Clawback put (``sending``) and the state's
``openId`` set on the condition that none is set (label :data:`STATE_LABEL`), so one store
has at most one reversal in flight. It is settled (``reversed`` / ``refused`` /
``abandoned``) on the condition that it is still ``sending`` (label :data:`CLAWBACK_LABEL`),
with ``openId`` removed in the same transaction. The negative index entry is put by
:func:`souk.finance.store.ledger.post` with any unguarded debit of ``available`` and removed
here only on the condition ``available >= 0``, so a debit racing the removal keeps it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from souk.db.base import utc_now
from souk.finance.keys import (
    BALANCE,
    CLAWBACK_PREFIX,
    CLAWBACKS,
    NEGATIVE_STORES,
    clawback_sort,
    store_finance,
    store_payouts,
)
from souk.finance.models import Clawback, ClawbackState, Payout, StoreBalance

if TYPE_CHECKING:
    from souk.db.transactions import WriteTransaction

CLAWBACK_LABEL = "clawback"  # a ConditionalCheckFailed on it: settled by another run already
STATE_LABEL = "clawback-state"  # a ConditionalCheckFailed on it: another claw-back of the store is open


def new_clawback(clawback_id: str, store_id: str, *, payout_id: str, transfer_id: str, amount: int, currency: str,
                 deficit: int) -> Clawback:  # fmt: skip
    now = utc_now()
    return Clawback(pk=store_finance(store_id), sk=clawback_sort(clawback_id), clawback_id=clawback_id,
                    store_id=store_id, payout_id=payout_id, transfer_id=transfer_id, amount=amount,
                    currency=currency, deficit=deficit, status="sending", created_at=now,
                    updated_at=now)  # fmt: skip


def load_state(store_id: str) -> ClawbackState | None:
    try:
        return ClawbackState.get(store_finance(store_id), CLAWBACKS, consistent_read=True)
    except DoesNotExist:
        return None


def load_clawback(store_id: str, clawback_id: str) -> Clawback | None:
    try:
        return Clawback.get(store_finance(store_id), clawback_sort(clawback_id), consistent_read=True)
    except DoesNotExist:
        return None


def clawbacks_of(store_id: str) -> Iterator[Clawback]:
    """The store's claw-backs, newest first (ids are time-ordered; tests and support)."""
    for item in Clawback.query(store_finance(store_id), Clawback.sk.startswith(CLAWBACK_PREFIX),
                               scan_index_forward=False, consistent_read=True):  # fmt: skip
        if isinstance(item, Clawback):
            yield item


def _state_key(store_id: str) -> ClawbackState:
    return ClawbackState(pk=store_finance(store_id), sk=CLAWBACKS)


def open_clawback(tx: WriteTransaction, item: Clawback) -> None:
    """Put ``item`` and make it the store's open claw-back, if none is open (else fails on :data:`STATE_LABEL`)."""
    now = utc_now()
    tx.put(item, Clawback.pk.does_not_exist(), label=CLAWBACK_LABEL)
    tx.update(_state_key(item.store_id), [
        ClawbackState.store_id.set(item.store_id), ClawbackState.entity.set(ClawbackState),
        ClawbackState.open_id.set(item.clawback_id), ClawbackState.opened_at.set(now),
        ClawbackState.created_at.set(ClawbackState.created_at | now), ClawbackState.updated_at.set(now),
    ], ClawbackState.open_id.does_not_exist(), label=STATE_LABEL)  # fmt: skip


def settle(tx: WriteTransaction, item: Clawback, status: str, actions: Sequence[Action], *,
           refused: dict[str, str] | None = None) -> None:  # fmt: skip
    """``item`` from ``sending`` to ``status`` and no longer the store's open claw-back; ``refused``
    (transfer id -> when), when given, replaces the state's map of refused transfers."""
    now = utc_now()
    tx.update(item, [Clawback.status.set(status), Clawback.settled_at.set(now), Clawback.updated_at.set(now),
                     *actions], Clawback.status == "sending", label=CLAWBACK_LABEL)  # fmt: skip
    state_actions: list[Action] = [ClawbackState.open_id.remove(), ClawbackState.opened_at.remove(),
                                   ClawbackState.updated_at.set(now)]  # fmt: skip
    if refused is not None:
        state_actions.append(ClawbackState.refused.set(refused))
    tx.update(_state_key(item.store_id), state_actions, ClawbackState.open_id == item.clawback_id,
              label=STATE_LABEL)  # fmt: skip


def set_refused(store_id: str, refused: dict[str, str]) -> None:
    """The state's map of refused transfers, when no claw-back is open (a run that reversed nothing new)."""
    try:
        _state_key(store_id).update(
            actions=[ClawbackState.refused.set(refused), ClawbackState.updated_at.set(utc_now())],
            condition=ClawbackState.pk.exists() & ClawbackState.open_id.does_not_exist(),
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise


def paid_payouts(store_id: str) -> Iterator[Payout]:
    """The store's paid payouts with a transfer, newest first (gsi4, page by page as the caller reads on)."""
    for item in Payout.gsi4.query(store_payouts(store_id), filter_condition=Payout.status == "paid",
                                  scan_index_forward=False):  # fmt: skip
        if isinstance(item, Payout) and item.transfer_id:
            yield item


# ---------------------------------------------------------------- the negative index


def negative_stores() -> Iterator[str]:
    """Every store a debit of ``available`` may have left negative (gsi1 ``FINANCE#NEGATIVE``, all pages)."""
    for item in StoreBalance.gsi1.query(NEGATIVE_STORES):
        if isinstance(item, StoreBalance):
            yield item.store_id


def clear_negative(store_id: str) -> bool:
    """The store out of the negative index, only if its ``available`` is 0 or more; False otherwise."""
    try:
        StoreBalance(pk=store_finance(store_id), sk=BALANCE).update(
            actions=[StoreBalance.gsi1pk.remove(), StoreBalance.gsi1sk.remove()],
            condition=StoreBalance.pk.exists() & (StoreBalance.available >= 0),
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True
