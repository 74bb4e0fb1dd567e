"""What finance tests read back: a store's reconciled balance, an order's commission."""

from __future__ import annotations

from souk.finance.models import Commission
from souk.finance.service.balance import reconcile
from souk.finance.store import commissions as commission_store


def reconciled(store_id: str) -> dict[str, int]:
    """The store's balance by bucket, after checking it is the sum of its ledger entries."""
    check = reconcile(store_id)
    assert check.matches, (check.stored, check.recomputed)
    return check.stored


def stored_commission(store_id: str, order_id: str) -> Commission:
    found = commission_store.load(store_id, order_id)
    assert found is not None, f"no commission for {order_id}"
    return found
