"""Payout accounts: a store's Stripe Connect Express account, its onboarding link, and its status.

``POST /stores/{storeId}/payout-account`` creates the account at Stripe once per store and
answers a fresh onboarding link each time. Two parallel first calls never make two accounts:
the Stripe call carries the idempotency key ``connect-account-<storeId>`` with parameters
derived from the store alone, so within Stripe's 24 hours both get the same account; the
item is then put with a does-not-exist condition, and the call that loses reads the winner's.
Only a crash between Stripe's answer and the put, retried more than 24 hours later, could
make a second account: an account nobody onboarded, which never receives money.

``account.updated`` sets the status (:func:`status_of`), applied only when the event is newer
(its ``created``) than the last one applied, whatever order Stripe delivers them in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from souk.audit import service as audit
from souk.caller import Actor
from souk.catalog.service.stores import get_store
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import NotFound
from souk.finance.schemas import AccountStatus, OnboardingOut
from souk.finance.service.balance import owned_store
from souk.finance.store import accounts as store
from souk.money import display
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify as notify_user
from souk.notify.exceptions import NotificationError
from souk.observability import logger
from souk.payments import gateway
from souk.settings import get_settings

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.finance.models import PayoutAccount

STRIPE = Actor(user_id="stripe", role="system")


def idempotency_key(store_id: str) -> str:
    return f"connect-account-{store_id}"


def status_of(account: dict[str, Any]) -> AccountStatus:
    """Our status for a Stripe account object (pure).

    - ``active``: charges and payouts enabled and nothing disabled;
    - ``restricted``: onboarding was submitted (or Stripe rejected the account) but payouts are
      off or something is disabled: Stripe needs more information;
    - ``pending``: onboarding not finished yet. A new Express account already carries a
      ``disabled_reason`` (``requirements.past_due``); before its owner submitted the form
      that means "not onboarded yet", not "restricted".
    """
    requirements = account.get("requirements") or {}
    reason = requirements.get("disabled_reason") if isinstance(requirements, dict) else None
    if account.get("charges_enabled") and account.get("payouts_enabled") and not reason:
        return "active"
    if account.get("details_submitted") or str(reason or "").startswith("rejected"):
        return "restricted"
    return "pending"


def _urls(store_id: str) -> tuple[str, str]:
    base = f"{get_settings().app_url.rstrip('/')}/stores/{quote(store_id, safe='')}/payout-account"
    return f"{base}?refresh=1", f"{base}?done=1"


def ensure_account(principal: Principal, store_id: str) -> PayoutAccount:
    """The store's account item, created at Stripe and stored on the first call."""
    found = owned_store(principal, store_id)
    existing = store.load_account(store_id, consistent=True)
    if existing is not None:
        return existing
    country = (found.address or {}).get("country") if isinstance(found.address, dict) else None
    stripe_id = gateway.create_express_account(country=country, metadata={"storeId": store_id},
                                               idempotency_key=idempotency_key(store_id))  # fmt: skip
    account = store.new_account(store_id, stripe_id)
    try:
        with WriteTransaction() as tx:
            store.add_account(tx, account)
            audit.record(principal.actor, "payout_account.created", "store", store_id, tx=tx,
                         after={"stripeAccountId": stripe_id, "status": account.status})  # fmt: skip
    except TransactionCancelled as cancelled:
        if store.ACCOUNT_LABEL not in cancelled.failed():
            raise
        winner = store.load_account(store_id, consistent=True)
        if winner is None:  # pragma: no cover - the condition failed on an item that exists
            raise
        if winner.stripe_account_id != stripe_id:
            logger.error("a second Stripe account was made for a store", extra={
                "store_id": store_id, "kept": winner.stripe_account_id, "orphan": stripe_id})  # fmt: skip
        return winner
    return account


def start_onboarding(principal: Principal, store_id: str) -> OnboardingOut:
    """POST /stores/{storeId}/payout-account: the account (once) and a new onboarding link."""
    account = ensure_account(principal, store_id)
    refresh_url, return_url = _urls(store_id)
    url = gateway.create_account_link(account.stripe_account_id, refresh_url=refresh_url, return_url=return_url)
    return OnboardingOut(onboarding_url=url, status=account.status)  # type: ignore[arg-type]


def apply_account_updated(tx: WriteTransaction, account: dict[str, Any], created: int) -> str:
    """``account.updated``: the store's status from the account, unless a newer event was applied.

    Found by the gsi1 entry ``CONNECT#<acct>``; the write is conditional on ``eventCreated <
    created``, so an older event delivered late changes nothing, even racing a newer one.
    """
    stripe_id = str(account.get("id") or "")
    indexed = store.account_by_stripe_id(stripe_id) if stripe_id else None
    # The index may lag: the item itself says which event was applied last.
    item = store.load_account(indexed.store_id, consistent=True) if indexed is not None else None
    if item is None or item.stripe_account_id != stripe_id:
        return "ignored: no such payout account"
    if created <= int(item.event_created or 0):
        return f"no change: an event of {int(item.event_created)} was applied already"
    status = status_of(account)
    store.set_status(tx, item, status, created)
    if status != item.status:
        audit.record(STRIPE, "payout_account.status_changed", "store", item.store_id, tx=tx,
                     before={"status": item.status},
                     after={"status": status, "stripeAccountId": stripe_id})  # fmt: skip
    return f"payout account {item.status} -> {status}"


def apply_bank_payout_failed(tx: WriteTransaction, account_id: str, bank_payout: dict[str, Any]
                             ) -> tuple[str, Callable[[], None] | None]:  # fmt: skip
    """``payout.failed`` from a connected account: the store's bank refused Stripe's payout.

    Our transfer had succeeded, so the money is in the store's Stripe balance, not ours:
    nothing returns to its Souk balance (that would count it twice), and Stripe pays it out
    again once the bank details are fixed. The owner is told (after the commit) and the event
    audited. Returns the outcome and the email to send after the commit.
    """
    indexed = store.account_by_stripe_id(account_id) if account_id else None
    if indexed is None:
        return "ignored: no such payout account", None
    amount, currency = int(bank_payout.get("amount") or 0), str(bank_payout.get("currency") or "usd")
    reason = str(bank_payout.get("failure_message") or bank_payout.get("failure_code") or "no reason given")[:300]
    bank_payout_id = str(bank_payout.get("id") or "")
    audit.record(STRIPE, "payout_account.bank_payout_failed", "store", indexed.store_id, tx=tx,
                 after={"stripeAccountId": account_id, "bankPayoutId": bank_payout_id, "amount": amount,
                        "currency": currency, "reason": reason})  # fmt: skip

    def notify() -> None:
        try:
            selling = get_store(indexed.store_id)
            variables: dict[str, str | int | float] = {"store_name": selling.name, "amount": display(amount, currency),
                                                       "reason": reason}  # fmt: skip
            notify_user(selling.owner_id, "payment", bank_payout_id, "failed",
                        title=f"Your bank refused a payout of {variables['amount']}",
                        body=f"{reason}. Stripe pays it again once your bank details are fixed.",
                        data={"storeId": indexed.store_id, "bankPayoutId": bank_payout_id},
                        email=Message("bank_payout_failed", variables))  # fmt: skip
        except (NotFound, NotificationError) as exc:
            logger.warning("bank payout failure email not queued", extra={
                "store_id": indexed.store_id, "error_type": type(exc).__name__})  # fmt: skip

    return f"bank payout {bank_payout_id} failed for store {indexed.store_id}: owner told", notify
