"""Wallet: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.wallet.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def wallet(user_id: str) -> str:
    """A wallet partition: the balance (sk WALLET) and its ledger entries (sk TX#<ulid>)."""
    return join("WALLET", user_id)


WALLET = "WALLET"


def wallet_entry(entry_id: str) -> str:
    return join("TX", entry_id)


WALLET_ENTRY_PREFIX = "TX#"
