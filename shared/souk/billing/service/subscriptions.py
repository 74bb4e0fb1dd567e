"""Subscriptions: start one (Stripe, ``default_incomplete``), read the current one, change or cancel it.

A subscriber is the caller (no ``teamId``) or a team: its owners and admins start and change the
team's subscription, any member reads it, a non-member gets 404 (never reveal a team exists).

Starting a paid plan, without ever making two Stripe subscriptions for one subscriber:

1. the subscriber's Stripe customer, once (:func:`ensure_customer`: idempotency key of the
   subscriber, then a conditional put; the loser of a race reads the winner's);
2. the **claim**: our Subscription item, status ``incomplete``, put with a condition that the
   subscriber holds no live subscription (:func:`souk.billing.store.subscriptions.claim`), in the
   transaction of its audit record. Two POSTs at once: one claim wins, the other is 409 before
   any Stripe call;
3. the Stripe subscription (``payment_behavior=default_incomplete``, idempotency key of our
   subscription id, our ids in its metadata): a Stripe failure deletes the claim (502/503);
4. Stripe's ids and the first invoice's client secret on the claim; the client confirms the
   payment with it (Stripe.js), and the webhooks take the status from there
   (:mod:`souk.billing.service.webhooks`).

A crash between 2 and 4 leaves a claim without a Stripe id: after
:data:`~souk.billing.store.subscriptions.CLAIM_TIMEOUT` a new POST may take the slot (if Stripe
did make that subscription, it stays ``incomplete`` and expires after 23 hours, never charged;
its events name the old id and change nothing).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.billing import gateway, objects, rules
from souk.billing.models import Subscription
from souk.billing.schemas import (
    InvoiceOut,
    InvoicesQuery,
    SubscriberQuery,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionUpdateIn,
    UsageOut,
    invoice_out,
    subscription_out,
)
from souk.billing.store import customers, invoices, subscriptions
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, Forbidden, InvalidState, NotFound, ServiceUnavailable, SoukError
from souk.identity.service.users import get_user
from souk.ids import new_id
from souk.observability import logger
from souk.plans import catalog
from souk.plans.service import entitlements, usage
from souk.plans.service.entitlements import Subscriber
from souk.teams import rules as team_rules
from souk.teams.service import teams

if TYPE_CHECKING:
    from souk.caller import Principal

# Statuses a plan change or a cancel-at-period-end may be sent in (Stripe refuses the others).
CHANGEABLE = frozenset({"trialing", "active", "past_due"})


def subscriber_for(principal: Principal, team_id: str | None, *, manage: bool) -> Subscriber:
    """The caller, or the team when ``team_id``: 404 for a non-member, 403 for a member who may not ``manage``."""
    if team_id is None:
        return Subscriber("user", principal.user_id)
    _, membership = teams.load(team_id, principal)
    if manage and not team_rules.at_least(membership.role, "admin"):
        raise Forbidden("Only the team's admins and owners manage its subscription and invoices.")
    return Subscriber("team", team_id)


def customer_idempotency_key(subscriber: Subscriber) -> str:
    return f"billing-customer-{subscriber.key}"


def ensure_customer(principal: Principal, subscriber: Subscriber) -> str:
    """The subscriber's Stripe customer id: made at Stripe and stored on the first call only."""
    existing = customers.get_customer(subscriber.key)
    if existing is not None:
        return str(existing.stripe_customer_id)
    email = name = None
    if subscriber.kind == "user":
        user = get_user(subscriber.id)
        email, name = user.email, user.name
    customer_id = gateway.create_customer(metadata={"subscriber": subscriber.key}, email=email, name=name,
                                          idempotency_key=customer_idempotency_key(subscriber))  # fmt: skip
    try:
        with WriteTransaction() as tx:
            customers.add_customer(tx, subscriber.key, customer_id)
            audit.record(principal.actor, "billing.customer_create", "subscriber", subscriber.key, tx=tx,
                         after={"stripeCustomerId": customer_id})  # fmt: skip
    except TransactionCancelled as cancelled:
        if customers.CUSTOMER_LABEL not in cancelled.failed():
            raise
        winner = customers.get_customer(subscriber.key)
        if winner is None:  # pragma: no cover - the condition failed on an item that exists
            raise
        if winner.stripe_customer_id != customer_id:
            logger.error("a second Stripe customer was made for a subscriber", extra={
                "subscriber": subscriber.key, "kept": winner.stripe_customer_id, "orphan": customer_id})  # fmt: skip
        return str(winner.stripe_customer_id)
    return customer_id


def _price(plan_id: str) -> str:
    found = catalog.plan(plan_id)
    price = found.stripe_price() if found is not None else None
    if not price:
        logger.error("no Stripe price configured for a paid plan", extra={"plan": plan_id})
        raise ServiceUnavailable("This plan cannot be bought right now.")
    return price


def _already(item: Subscription) -> Conflict:
    detail = {"field": "subscription", "message": f"{item.subscription_id} is {item.status}"}
    return Conflict("There is already a subscription; change it instead.", details=[detail])


def start(principal: Principal, body: SubscriptionIn) -> SubscriptionOut:
    """POST /subscriptions: 201 with the client secret of the first payment."""
    subscriber = subscriber_for(principal, body.team_id, manage=True)
    price = _price(body.plan)
    current = subscriptions.get_current(subscriber.key)
    if current is not None and current.status in objects.LIVE and current.stripe_subscription_id:
        raise _already(current)
    customer_id = ensure_customer(principal, subscriber)
    subscription_id = new_id()
    claim = subscriptions.new_claim(subscriber.key, subscription_id, principal.user_id, body.plan)
    try:
        with WriteTransaction() as tx:
            subscriptions.claim(tx, claim, utc_now())
            audit.record(principal.actor, "subscription.start", "subscription", subscription_id, tx=tx,
                         after={"subscriber": subscriber.key, "plan": body.plan})  # fmt: skip
    except TransactionCancelled as cancelled:
        if subscriptions.SUBSCRIPTION_LABEL not in cancelled.failed():
            raise
        winner = subscriptions.get_current(subscriber.key)
        if winner is None:
            raise Conflict("Another request started a subscription.") from None
        raise _already(winner) from None
    try:
        metadata = {"subscriber": subscriber.key, "subscriptionId": subscription_id, "plan": body.plan}
        created = gateway.create_subscription(customer_id, price, metadata=metadata,
                                              idempotency_key=f"billing-subscription-{subscription_id}")  # fmt: skip
    except SoukError:
        subscriptions.release(claim)
        raise
    stripe_id = str(created["id"])
    start_at, end_at = objects.period(created)
    fields: dict[str, Any] = {"stripe_item_id": objects.first_item(created).get("id"),
                              "client_secret": objects.client_secret(created),
                              "current_period_start": start_at, "current_period_end": end_at}  # fmt: skip
    key = rules.order_key(str(created.get("status") or "incomplete"), int(created.get("created") or 0))
    subscriptions.attach(claim, stripe_id, fields, key)
    claim.stripe_subscription_id = stripe_id
    for name, value in fields.items():
        setattr(claim, name, value)
    return subscription_out(claim)


def _usage(subscriber: Subscriber, granted: entitlements.Granted) -> UsageOut:
    found = usage.of(subscriber, granted=granted)
    return UsageOut(period_start=found["periodStart"], period_end=found["periodEnd"], exports=found["exports"],
                    api_calls=found["apiCalls"], api_calls_by_key=found["apiCallsByKey"])  # fmt: skip


def current(principal: Principal, query: SubscriberQuery) -> SubscriptionOut:
    """GET /subscriptions: the current subscription with the period's usage; Free when there is none."""
    subscriber = subscriber_for(principal, query.team_id, manage=False)
    item = subscriptions.get_current(subscriber.key)
    granted = entitlements.current(subscriber)
    used = _usage(subscriber, granted)
    if item is None:
        return SubscriptionOut(id=None, plan=granted.plan.id, status="active", current_period_end=granted.period_end,
                               cancel_at_period_end=False, team_id=query.team_id, usage=used)  # fmt: skip
    return subscription_out(item, usage=used)


def _owned(principal: Principal, subscription_id: str) -> Subscription:
    """The subscription if the caller may change it: their own, their team's as admin/owner (else 404 / 403).

    ``own`` (API.md) holds for platform admins too: another subscriber's subscription is 404 to them.
    """
    item = subscriptions.by_id(subscription_id)
    if item is None:
        raise NotFound("No such subscription.")
    subscriber = Subscriber.from_key(item.subscriber)
    if subscriber.kind == "user":
        if subscriber.id != principal.user_id:
            raise NotFound("No such subscription.")
        return item
    try:
        subscriber_for(principal, subscriber.id, manage=True)
    except NotFound:
        raise NotFound("No such subscription.") from None
    return item


def update(principal: Principal, subscription_id: str, body: SubscriptionUpdateIn) -> SubscriptionOut:
    """PUT /subscriptions/{id}: another paid plan (prorated) and/or cancel at the period's end (or undo)."""
    item = _owned(principal, subscription_id)
    if item.status not in CHANGEABLE or not item.stripe_subscription_id:
        raise InvalidState(f"A subscription that is {item.status} cannot be changed.")
    params: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    if body.plan is not None and body.plan != item.plan:
        params.update(items=[{"id": item.stripe_item_id, "price": _price(body.plan)}],
                      proration_behavior="create_prorations")  # fmt: skip
        changes["plan"] = body.plan
    if body.cancel_at_period_end is not None and body.cancel_at_period_end != bool(item.cancel_at_period_end):
        params["cancel_at_period_end"] = body.cancel_at_period_end
        changes["cancel_at_period_end"] = body.cancel_at_period_end
    if not params:
        return subscription_out(item)
    digest = hashlib.sha256(repr((sorted(params.items(), key=str), item.updated_at.isoformat())).encode()).hexdigest()
    key = f"billing-update-{subscription_id}-{digest[:24]}"
    updated = gateway.update_subscription(str(item.stripe_subscription_id), params, idempotency_key=key)
    stated = updated.get("cancel_at_period_end")
    wanted = changes.get("cancel_at_period_end", bool(item.cancel_at_period_end))
    changes["cancel_at_period_end"] = stated if isinstance(stated, bool) else wanted
    with WriteTransaction() as tx:
        subscriptions.set_fields(tx, item, changes)
        audit.record(principal.actor, "subscription.update", "subscription", subscription_id, tx=tx,
                     before={"plan": item.plan, "cancelAtPeriodEnd": bool(item.cancel_at_period_end)},
                     after={"plan": changes.get("plan", item.plan),
                            "cancelAtPeriodEnd": changes["cancel_at_period_end"]})  # fmt: skip
    for name, value in changes.items():
        setattr(item, name, value)
    return subscription_out(item)


def list_invoices(principal: Principal, query: InvoicesQuery) -> tuple[list[InvoiceOut], str | None]:
    """GET /invoices: a page of the subscriber's invoices, newest first (one Query); a team's for its admins."""
    subscriber = subscriber_for(principal, query.team_id, manage=True)
    found, cursor = invoices.invoices(subscriber.key, query.limit, query.cursor)
    return [invoice_out(i) for i in found], cursor
