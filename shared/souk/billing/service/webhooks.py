"""Stripe Billing's webhook events: :data:`APPLIERS`, dispatched by :mod:`souk.webhooks.service`.

Each applier runs inside the webhooks domain's transaction that also records the event id (an
event applied once, whatever the deliveries), gets the event's ``created`` and returns the outcome.

- ``customer.subscription.created/updated/deleted``: the subscription's state (status, plan,
  period, ``cancelAtPeriodEnd``, ``pastDueSince``) replaces the stored one only when
  :func:`souk.billing.rules.supersedes` says so: the key (:func:`souk.billing.rules.order_key` of
  the object's status and the event's ``created``) is checked on the read and again by the update's
  condition (``orderKey < :key``), so an older event never overwrites a newer state, even racing
  it, and a stale ``deleted`` never cancels an active subscription. The same transaction grants
  the entitlement (:func:`souk.plans.service.entitlements.grant`): ``past_due`` keeps the plan for
  the grace period, ``unpaid``/``canceled`` fall back to Free. Events of a subscription that is not
  the subscriber's current one (an old or orphaned one) change nothing.
- ``invoice.created/finalized/paid/payment_failed``: the invoice item (amount, status, period,
  hosted URL), its newest state only (``orderKey``: event time, then the status's rank); a failed
  payment tells the subscriber (after the commit).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from souk.audit import service as audit
from souk.billing import keys, objects, rules
from souk.billing.models import Invoice, Subscription
from souk.billing.store import customers, invoices, subscriptions
from souk.caller import Actor
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.errors import NotFound
from souk.money import display
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify as notify_user
from souk.notify.exceptions import NotificationError
from souk.observability import logger
from souk.plans import catalog
from souk.plans.service import entitlements
from souk.plans.service.entitlements import Subscriber

STRIPE = Actor(user_id="stripe", role="system")
# Within one second, the later of two invoice states (an invoice is paid or voided once).
INVOICE_RANK = {"draft": 0, "open": 1, "uncollectible": 2, "void": 3, "paid": 4}


def _customer_id(obj: dict[str, Any]) -> str | None:
    customer = obj.get("customer")
    customer = customer.get("id") if isinstance(customer, dict) else customer
    return customer if isinstance(customer, str) and customer else None


def _plan_of(subscription: dict[str, Any], fallback: str) -> str:
    price = objects.price_id(subscription)
    for plan in catalog.PLANS.values():
        if price and plan.stripe_price() == price:
            return plan.id
    return objects.metadata(subscription).get("plan") or fallback


def _current_of(subscription: dict[str, Any]) -> Subscription | None:
    """Our item of this Stripe subscription if it is the subscriber's current one."""
    stripe_id = subscription.get("id")
    meta = objects.metadata(subscription)
    customer = _customer_id(subscription)
    key = meta.get("subscriber") or (customers.subscriber_of(customer) if customer else None)
    item = subscriptions.get_current(key) if key else None
    if item is None:
        return None
    if item.stripe_subscription_id == stripe_id:
        return item
    if item.stripe_subscription_id is None and meta.get("subscriptionId") == item.subscription_id:
        return item  # the claim, before the POST stored Stripe's answer
    return None


def _past_due_since(item: Subscription, status: str, created: int) -> datetime | None:
    if status != "past_due":
        return None
    if item.status == "past_due" and item.past_due_since is not None:
        return item.past_due_since
    return objects.at(created)


def apply_subscription(tx: WriteTransaction, subscription: dict[str, Any], created: int, *, deleted: bool = False
                       ) -> str:  # fmt: skip
    """``customer.subscription.*``: the newest state wins, with its entitlement."""
    stripe_id = subscription.get("id")
    if not isinstance(stripe_id, str) or not stripe_id:
        return "ignored: no subscription id"
    item = _current_of(subscription)
    if item is None:
        return "ignored: not a current subscription of ours"
    status = "canceled" if deleted else str(subscription.get("status") or "")
    try:
        key = rules.order_key(status, created)
    except ValueError as error:
        return f"ignored: {error}"
    stored = int(item.order_key) if item.order_key is not None else None
    if not rules.supersedes(key, stored):
        return f"no change: a newer state ({item.status}) is stored"
    plan = _plan_of(subscription, item.plan)
    start, end = objects.period(subscription)
    start = start or item.current_period_start or objects.at(created) or utc_now()
    end = end or item.current_period_end or start
    since = _past_due_since(item, status, created)
    fields: dict[str, Any] = {"status": status, "plan": plan, "current_period_start": start, "current_period_end": end,
                              "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
                              "past_due_since": since}  # fmt: skip
    if status != "incomplete":
        fields["client_secret"] = None  # paid or gone: the secret has no use any more
    subscriptions.apply_state(tx, item, stripe_id, key, fields)
    entitlements.grant(tx, Subscriber.from_key(item.subscriber), plan_id=plan, status=status, period_start=start,
                       period_end=end, past_due_since=since)  # fmt: skip
    audit.record(STRIPE, "subscription.state", "subscription", item.subscription_id, tx=tx,
                 before={"status": item.status, "plan": item.plan},
                 after={"status": status, "plan": plan, "stripeSubscriptionId": stripe_id,
                        "cancelAtPeriodEnd": fields["cancel_at_period_end"]})  # fmt: skip
    return f"subscription {item.subscription_id}: {item.status} -> {status} ({plan})"


def _invoice_subscriber(invoice: dict[str, Any]) -> str | None:
    customer = _customer_id(invoice)
    key = customers.subscriber_of(customer) if customer else None
    if key:
        return key
    details = (invoice.get("parent") or {}).get("subscription_details") or invoice.get("subscription_details") or {}
    meta = details.get("metadata") if isinstance(details, dict) else None
    found = meta.get("subscriber") if isinstance(meta, dict) else None
    return found if isinstance(found, str) and found else None


def _stored_invoice(subscriber: str, created: int, invoice_id: str) -> Invoice | None:
    try:
        return Invoice.get(keys.billing(subscriber), keys.invoice(created, invoice_id), consistent_read=True)
    except Invoice.DoesNotExist:
        return None


def apply_invoice(tx: WriteTransaction, invoice: dict[str, Any], created: int, *, failed: bool = False) -> str:
    """``invoice.*``: the invoice's newest state kept for ``GET /invoices``; a failed payment is told."""
    invoice_id = invoice.get("id")
    if not isinstance(invoice_id, str) or not invoice_id:
        return "ignored: no invoice id"
    subscriber = _invoice_subscriber(invoice)
    if subscriber is None:
        return "ignored: not a customer of ours"
    status = str(invoice.get("status") or ("open" if failed else "draft"))
    key = created * 10 + INVOICE_RANK.get(status, 0)
    made = int(invoice.get("created") or created)
    stored = _stored_invoice(subscriber, made, invoice_id)
    if stored is not None and int(stored.order_key) >= key:
        return f"no change: invoice {invoice_id} already {stored.status}"
    start, end = objects.invoice_period(invoice)
    currency = str(invoice.get("currency") or catalog.CURRENCY)
    item = Invoice(pk=keys.billing(subscriber), sk=keys.invoice(made, invoice_id), invoice_id=invoice_id,
                   subscriber=subscriber, stripe_subscription_id=objects.invoice_subscription(invoice),
                   amount=int(invoice.get("amount_due") or invoice.get("total") or 0),
                   amount_paid=int(invoice.get("amount_paid") or 0), currency=currency, status=status,
                   period_start=start, period_end=end, hosted_invoice_url=invoice.get("hosted_invoice_url"),
                   order_key=key, created_at=objects.at(made), updated_at=utc_now())  # fmt: skip
    invoices.put_invoice(tx, item)
    audit.record(STRIPE, "invoice.recorded", "invoice", invoice_id, tx=tx,
                 before={"status": stored.status} if stored else None,
                 after={"status": status, "subscriber": subscriber, "amount": int(item.amount)})  # fmt: skip
    if failed:
        tx.after_commit(lambda: _tell_payment_failed(item, invoice))
    return f"invoice {invoice_id}: {status}"


def _tell_payment_failed(item: Invoice, invoice: dict[str, Any]) -> None:
    """After the commit: the subscriber (a team's: who started its subscription) learns the payment failed."""
    current = subscriptions.get_current(item.subscriber)
    subscriber = Subscriber.from_key(item.subscriber)
    user_id = subscriber.id if subscriber.kind == "user" else (current.owner_id if current is not None else None)
    if not user_id:
        return
    amount = display(int(item.amount), item.currency)
    plan = current.plan if current is not None else "paid"
    error = invoice.get("last_finalization_error") or {}
    reason = str(error.get("message") if isinstance(error, dict) and error.get("message") else "the card was declined")
    try:
        notify_user(user_id, "payment", item.invoice_id, f"failed-{int(invoice.get('attempt_count') or 1)}",
                    title=f"Your subscription payment of {amount} failed",
                    body="Update your card to keep your plan; it stays on for a grace period.",
                    data={"invoiceId": item.invoice_id, "subscriber": item.subscriber},
                    email=Message("subscription_payment_failed", {
                        "plan": plan, "amount": amount, "reason": reason[:200],
                        "invoice_url": item.hosted_invoice_url or ""}))  # fmt: skip
    except (NotFound, NotificationError) as exc:
        logger.warning("subscription payment failure not told", extra={
            "subscriber": item.subscriber, "error_type": type(exc).__name__})  # fmt: skip


def _subscription_applier(deleted: bool) -> Callable[[WriteTransaction, dict[str, Any], int], str]:
    return lambda tx, obj, created: apply_subscription(tx, obj, created, deleted=deleted)


def _invoice_applier(failed: bool) -> Callable[[WriteTransaction, dict[str, Any], int], str]:
    return lambda tx, obj, created: apply_invoice(tx, obj, created, failed=failed)


APPLIERS: dict[str, Callable[[WriteTransaction, dict[str, Any], int], str]] = {
    "customer.subscription.created": _subscription_applier(False),
    "customer.subscription.updated": _subscription_applier(False),
    "customer.subscription.deleted": _subscription_applier(True),
    "invoice.created": _invoice_applier(False),
    "invoice.finalized": _invoice_applier(False),
    "invoice.paid": _invoice_applier(False),
    "invoice.payment_failed": _invoice_applier(True),
}
