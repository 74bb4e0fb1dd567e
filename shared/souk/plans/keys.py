"""Plans: the key values of its items (entitlements and usage), one function per key.

Beside :mod:`souk.plans.models`; ``docs/access-patterns.md`` lists the access patterns.

| pattern | key |
|---|---|
| a subscriber's entitlement (every limited request: one GetItem) | pk ENTITLEMENT#<subscriber>, sk ENTITLEMENT |
| a subscriber's usage in one billing period (one GetItem) | pk USAGE#<subscriber>, sk PERIOD#<start> |
| an idempotency marker of one counted use | pk USAGE#<subscriber>, sk MARK#<kind>#<id> |
"""

from __future__ import annotations

from souk.db.keys import join

ENTITLEMENT_SK = "ENTITLEMENT"


def entitlement(subscriber: str) -> str:
    return join("ENTITLEMENT", subscriber)


def usage(subscriber: str) -> str:
    return join("USAGE", subscriber)


def period(period_key: str) -> str:
    return join("PERIOD", period_key)


def mark(kind: str, ident: str) -> str:
    return join("MARK", kind, ident)
