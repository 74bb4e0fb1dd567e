"""GET /points and GET /points/transactions: the caller's balance, tier, next expiry and entries.

GET /points reads a constant three items' worth: the account (GetItem), the last 12 months'
spend counters (one Query, at most 12 items) and the open lot that expires first (one Query,
one item). The entries page is one Query on gsi1, newest first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.admin_settings import service as admin_settings
from souk.db.base import utc_now
from souk.money import Money
from souk.points.schemas import NextExpiry, PointsEntryOut, PointsOut, PointsTransactionsQuery, entry_out
from souk.points.service import rules
from souk.points.store import points as store

if TYPE_CHECKING:
    from souk.caller import Principal


def get_points(principal: Principal) -> PointsOut:
    """The caller's balance, tier (from the last 12 months' paid spend) and next expiry."""
    now = utc_now()
    settings = admin_settings.current().points
    currency = settings.redeem_value.amount.currency
    account = store.read_account(principal.user_id)
    months = rules.spend_months(now)
    spend = max(0, sum(int(item.amount) for item in store.spend_items(principal.user_id, currency, months)))
    tiers = [(tier.name, tier.spend12m.amount) for tier in settings.tiers]
    lots = store.open_lots(principal.user_id, now, limit=1)
    nxt = NextExpiry(points=int(lots[0].remaining), at=lots[0].lot_expires_at) if lots else None
    return PointsOut(balance=int(account.balance) if account is not None else 0, tier=rules.tier_for(spend, tiers),
                     spend12m=Money(amount=spend, currency=currency), next_expiry=nxt)  # fmt: skip


def list_transactions(principal: Principal, query: PointsTransactionsQuery) -> tuple[list[PointsEntryOut], str | None]:
    """A page of the caller's entries, newest first."""
    found, cursor = store.entries_page(principal.user_id, query.cursor, query.limit)
    return [entry_out(entry) for entry in found], cursor
