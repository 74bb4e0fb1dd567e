"""Finance: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.finance.models`, whose docstring lists its access patterns.
"""

from __future__ import annotations

BALANCE = "BALANCE"


ACCOUNT = "ACCOUNT"


PAYOUT = "PAYOUT"


ENTRY_PREFIX = "ENTRY#"


COMMISSION_PREFIX = "COMMISSION#"


DISPUTE_PREFIX = "DISPUTE#"


CLAWBACK_PREFIX = "CLAWBACK#"


CLAWBACKS = "CLAWBACKS"


NEGATIVE_STORES = "FINANCE#NEGATIVE"  # gsi1 partition of the balances a debit may have left negative


def store_finance(store_id: str) -> str:
    return f"FINANCE#{store_id}"


def entry_sort(business_key: str) -> str:
    return f"{ENTRY_PREFIX}{business_key}"


def store_entries(store_id: str) -> str:
    return f"FINANCE#{store_id}#ENTRIES"


def commission_sort(order_id: str) -> str:
    return f"{COMMISSION_PREFIX}{order_id}"


def dispute_sort(dispute_id: str) -> str:
    return f"{DISPUTE_PREFIX}{dispute_id}"


def clawback_sort(clawback_id: str) -> str:
    return f"{CLAWBACK_PREFIX}{clawback_id}"


def release_day(day: str) -> str:
    """gsi1 partition of the commissions whose hold ends on that UTC day (``yyyy-mm-dd``)."""
    return f"RELEASE#{day}"


def connect_account(stripe_account_id: str) -> str:
    return f"CONNECT#{stripe_account_id}"


def payout(payout_id: str) -> str:
    return f"PAYOUT#{payout_id}"


def owner_payouts(owner_id: str) -> str:
    return f"USER#{owner_id}#PAYOUTS"


PAYOUTS_ALL = "PAYOUTS"


def payouts_by_status(status: str) -> str:
    return f"PAYOUTS#{status}"


def store_payouts(store_id: str) -> str:
    return f"FINANCE#{store_id}#PAYOUTS"
