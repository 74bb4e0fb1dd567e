"""POST /api/v1/webhooks/stripe: Stripe's signed events, each applied exactly once.

The signature is checked on the exact bytes Stripe sent (base64-decoded when API Gateway
encoded them). Every event is applied in one DynamoDB transaction that also puts its
:class:`~souk.webhooks.models.StripeEvent` with a does-not-exist condition: a second
delivery of the same event fails on that label alone and changes nothing. Effects are
conditional on the state they read (the payment's and orders' statuses), never on the
order events arrive in; a transaction that loses a race is rebuilt from a fresh read.

- ``payment_intent.succeeded``: an order payment becomes ``succeeded`` and its
  ``pending_payment`` orders ``paid``, each with its commission and the store's pending
  net (:func:`souk.finance.service.commissions.add_sale`, same transaction); orders
  cancelled meanwhile (expiry) are refunded to the card after the commit. A top-up
  becomes ``succeeded`` and credits the wallet once (ledger entry ``topup-<paymentId>``).
- ``payment_intent.payment_failed``: payment ``pending → failed`` with the reason; the
  orders keep waiting (the customer may retry with another card until they expire).
- ``payment_intent.canceled``: the checkout's unpaid orders cancelled and their stock
  released, the payment ``canceled``.
- ``charge.refunded``: a refund made outside the API (Stripe dashboard) recorded once
  (with the commission's reversal when the payment paid a single order).
- ``payout.failed`` (a connected account's bank payout): finance tells the store owner
  (:func:`souk.finance.service.accounts.apply_bank_payout_failed`); no money moves in Souk.
- ``account.updated`` / ``transfer.reversed`` (Connect): applied by finance
  (:func:`souk.finance.service.accounts.apply_account_updated`,
  :func:`souk.finance.service.payouts.apply_transfer_reversed`), which get the event's ``created``.
- ``charge.dispute.*`` (chargebacks): the payment found by the dispute's ``payment_intent`` (one
  Stripe call for its metadata, as for ``charge.refunded``) and its orders are handed to
  :func:`souk.finance.service.disputes.apply_dispute` with the event's ``created``: holds,
  Stripe's fee, the reversal or release, once and in any order. An unknown payment is ignored.
- ``customer.subscription.created/updated/deleted`` and ``invoice.created/finalized/paid/payment_failed``
  (Stripe Billing): applied by billing (:data:`souk.billing.service.webhooks.APPLIERS`, with the
  event's ``created``): the subscription's newest state and its entitlement, the invoices kept for
  ``GET /api/v1/invoices``; a failed payment is told after the commit.
- anything else: recorded as ``ignored``.

The common path makes no Stripe call: one GetItem (the payment), one BatchGetItem
(its orders) and one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from souk.analytics.service import counters as analytics
from souk.audit import service as audit
from souk.billing.service import webhooks as billing
from souk.caller import Actor
from souk.db.transactions import Retry, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import BadRequest, Conflict, SoukError
from souk.finance.service import accounts as payout_accounts
from souk.finance.service import commissions, disputes, payouts
from souk.observability import logger
from souk.orders import status as order_status
from souk.orders.models import Order, move_actions
from souk.orders.service import expiry as order_expiry
from souk.orders.service import notifications as order_notifications
from souk.payments import gateway
from souk.payments import service as payments
from souk.payments.models import Payment, Refund
from souk.safe_json import parse_json
from souk.wallet import service as wallet
from souk.webhooks import store
from souk.webhooks.schemas import Delivery, WebhookAck

MAX_ATTEMPTS = 10  # transactions rebuilt after losing a race (another delivery, the expiry)
STRIPE = Actor(user_id="stripe", role="system")  # who the audit log says did it
# Statuses a payment may succeed from: a late success after expiry cancelled it still took the money.
SUCCEEDS_FROM = frozenset({"pending", "failed", "canceled"})


@dataclass
class Applied:
    """What applying an event did (the StripeEvent's ``outcome``) and what to do after the commit."""

    outcome: str
    after_commit: list[Callable[[], None]] = field(default_factory=list)


def event_parts(event: Any) -> tuple[str, str, dict[str, Any]] | None:
    """``(id, type, data.object)`` of a Stripe event, or None for any other shape."""
    if not isinstance(event, dict):
        return None
    event_id, event_type, data = event.get("id"), event.get("type"), event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not (isinstance(event_id, str) and event_id and isinstance(event_type, str) and event_type
            and isinstance(obj, dict)):  # fmt: skip
        return None
    return event_id, event_type, obj


def receive(sent: Delivery) -> WebhookAck:
    """Verify a delivery and apply its event once.

    An event about an object we do not know (another system's PaymentIntent, a payment
    since deleted) is answered 200 and recorded as ``ignored``: a 5xx would have Stripe
    deliver it again for days.

    Raises
    ------
    BadRequest
        Missing or invalid signature, a timestamp more than 300 s away, or a body that is
        not a Stripe event (not JSON, not an object, no ``id``, ``type`` or ``data.object``).
    Conflict
        The event kept losing races for :data:`MAX_ATTEMPTS` transactions (Stripe retries it).
    """
    text = gateway.verify_webhook(sent.raw, sent.signature)
    try:
        # The request guard (depth, number sizes); Stripe's own text may hold any character.
        event = parse_json(text, controls=False)
    except ValueError as error:  # json.JSONDecodeError
        raise BadRequest("The webhook body is not a Stripe event.") from error
    parts = event_parts(event)
    if parts is None:
        raise BadRequest("The webhook body is not a Stripe event.")
    event_id, event_type, obj = parts
    created = event.get("created")
    at = created if isinstance(created, int) and not isinstance(created, bool) else 0
    if event_type in FINANCE_APPLIERS:
        return apply_once(event_id, event_type, _finance(FINANCE_APPLIERS[event_type], at), obj)
    if event_type in billing.APPLIERS:  # Stripe Billing: subscriptions and invoices, the newest state wins
        return apply_once(event_id, event_type, _finance(billing.APPLIERS[event_type], at), obj)
    if event_type == "payout.failed":  # a connected account's bank payout: the event names the account
        return apply_once(event_id, event_type, partial(_bank_payout_failed, str(event.get("account") or "")), obj)
    if event_type in disputes.EVENTS:
        return apply_once(event_id, event_type, partial(_dispute, event_type, at), obj)
    return apply_once(event_id, event_type, APPLIERS.get(event_type, _ignored(event_type)), obj)


def apply_once(event_id: str, event_type: str, apply: Callable[[WriteTransaction, dict[str, Any]], Applied],
               obj: dict[str, Any]) -> WebhookAck:  # fmt: skip
    """Run ``apply`` and put the event record in one transaction; a lost race is retried from a fresh read."""

    def attempt() -> WebhookAck:
        try:
            with WriteTransaction() as tx:
                applied = apply(tx, obj)
                store.add_event(tx, event_id, event_type, applied.outcome)
        except TransactionCancelled as cancelled:
            if cancelled.reasons.get("*") == "ValidationException":
                raise  # our bug, not a race: retrying cannot help
            if store.EVENT_LABEL in cancelled.failed():
                logger.info("stripe event already applied", extra={"event_id": event_id, "event_type": event_type})
                return WebhookAck(duplicate=True)
            logger.info(
                "stripe event lost a race, retrying", extra={"event_id": event_id, "reasons": cancelled.reasons}
            )
            raise Retry from cancelled  # rebuilt from a fresh read
        message = "stripe event ignored" if applied.outcome.startswith("ignored") else "stripe event applied"
        logger.info(message, extra={"event_id": event_id, "event_type": event_type, "outcome": applied.outcome})
        for action in applied.after_commit:
            action()
        return WebhookAck()

    return retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        exhausted=lambda: Conflict("The event could not be applied now; it will be retried."),
    )


# ---------------------------------------------------------------- reading what an event is about


def _payment_of_intent(intent: dict[str, Any]) -> Payment | None:
    """Our payment named by the intent's ``metadata.paymentId`` (one GetItem), if it is that intent's."""
    payment = store.load_payment((intent.get("metadata") or {}).get("paymentId"))
    if payment is None:
        return None
    if payment.stripe_payment_intent_id and payment.stripe_payment_intent_id != intent.get("id"):
        logger.warning("stripe intent does not match the payment",
                       extra={"payment_id": payment.payment_id, "intent_id": intent.get("id")})  # fmt: skip
        return None
    return payment


def _ignored(event_type: str) -> Callable[[WriteTransaction, dict[str, Any]], Applied]:
    def apply(_tx: WriteTransaction, _obj: dict[str, Any]) -> Applied:
        return Applied(f"ignored: {event_type} is not handled")

    return apply


# ---------------------------------------------------------------- payment_intent.succeeded


def _succeeded(tx: WriteTransaction, intent: dict[str, Any]) -> Applied:
    payment = _payment_of_intent(intent)
    if payment is None:
        return Applied("ignored: no such payment")
    if payment.status not in SUCCEEDS_FROM:
        return Applied(f"no change: payment already {payment.status}")
    if payment.kind == "topup":
        return _top_up_succeeded(tx, payment)
    return _order_payment_succeeded(tx, payment)


def _top_up_succeeded(tx: WriteTransaction, payment: Payment) -> Applied:
    store.update_payment(tx, payment, [Payment.status.set("succeeded"), Payment.failure_reason.remove()])
    wallet.credit(tx, payment.user_id, int(payment.amount), entry_type="topup",
                  reference=wallet.Reference("payment", payment.payment_id), description="Card top-up",
                  entry_id=f"topup-{payment.payment_id}")  # fmt: skip
    audit.record(STRIPE, "payment.succeeded", "payment", payment.payment_id, tx=tx,
                 before={"status": payment.status},
                 after={"status": "succeeded", "walletCredit": int(payment.amount)})  # fmt: skip
    return Applied(f"succeeded: wallet credited {int(payment.amount)} {payment.currency}")


def _auto_refund(payment: Payment, order: Order) -> Refund:
    refund = store.new_refund(payment, f"auto-{order.order_id}", order_id=order.order_id, amount=int(order.total),
                              reason="The order was cancelled before the payment arrived.", status="pending",
                              actor_id=STRIPE.user_id,
                              stripe_idempotency_key=f"auto-refund-{order.order_id}")  # fmt: skip
    payments.schedule(refund)
    return refund


def payment_status_after_refunds(amount: int, refunded: int) -> str:
    """A paid payment's status once ``refunded`` of its ``amount`` went back."""
    return "refunded" if refunded >= amount else "partially_refunded" if refunded else "succeeded"


def _order_payment_succeeded(tx: WriteTransaction, payment: Payment) -> Applied:
    orders = store.orders_of([str(i) for i in payment.order_ids or []])
    paid, refunds = [], []
    for order in orders:
        if order.status == "pending_payment":
            actions, condition = move_actions(order, "paid", None, "card payment succeeded")
            store.update_order(tx, order, [*actions, Order.paid_amount.set(int(order.total))], condition)
            commissions.add_sale(tx, order)  # the commission and the store's pending net, once with the order
            paid.append(order.order_id)
        elif order.status == "cancelled" and not int(order.paid_amount or 0):
            refund = _auto_refund(payment, order)
            store.add_refund(tx, refund, label=f"refund:{order.order_id}")
            refunds.append(refund)
    refunded = int(payment.refunded_amount or 0) + sum(int(r.amount) for r in refunds)
    new_status = payment_status_after_refunds(int(payment.amount), refunded)
    store.update_payment(tx, payment, [Payment.status.set(new_status), Payment.refunded_amount.set(refunded),
                                       Payment.failure_reason.remove()])  # fmt: skip
    audit.record(STRIPE, "payment.succeeded", "payment", payment.payment_id, tx=tx, before={"status": payment.status},
                 after={"status": new_status, "paidOrders": paid,
                        "autoRefunds": {r.order_id: int(r.amount) for r in refunds}})  # fmt: skip
    outcome = f"succeeded: {len(paid)} order(s) paid"
    if refunds:
        returned = sum(int(r.amount) for r in refunds)
        outcome += f"; {len(refunds)} cancelled order(s) refunded to the card ({returned} {payment.currency})"
    emails = [partial(order_notifications.order_paid, o) for o in orders if o.order_id in paid]
    # Counted in this transaction when it has room (else right after it, idempotent): souk.analytics.
    counted = analytics.count_paid_orders(tx, [o for o in orders if o.order_id in paid])
    return Applied(outcome, [*[partial(_send_refund, payment, r) for r in refunds], *counted, *emails])


def _send_refund(payment: Payment, refund: Refund) -> None:
    """After the commit: the money of an order cancelled meanwhile goes back to the card.

    The Refund item and the payment's ``refundedAmount`` were written first, so the
    ``charge.refunded`` event this causes finds nothing left to record. A Stripe failure
    leaves the refund ``pending``; the hourly job sends it again (souk.payments.service.resend)
    with the same idempotency key, so the card is refunded once.
    """
    try:
        stripe_id = gateway.create_refund(str(payment.stripe_payment_intent_id), int(refund.amount),
                                          idempotency_key=str(refund.stripe_idempotency_key),
                                          metadata={"paymentId": payment.payment_id, "refundId": refund.refund_id,
                                                    "orderId": str(refund.order_id)})  # fmt: skip
    except SoukError:
        logger.error("automatic refund not sent", extra={"payment_id": payment.payment_id,
                                                         "refund_id": refund.refund_id})  # fmt: skip
        return
    with WriteTransaction() as tx:
        store.settle_refund(tx, refund, payments.settled_actions("succeeded"), stripe_id)
        audit.record(STRIPE, "refund.sent", "payment", payment.payment_id, tx=tx,
                     after={"refundId": refund.refund_id, "stripeRefundId": stripe_id,
                            "amount": int(refund.amount)})  # fmt: skip


# ---------------------------------------------------------------- payment_intent.payment_failed / canceled


def _payment_failed(tx: WriteTransaction, intent: dict[str, Any]) -> Applied:
    payment = _payment_of_intent(intent)
    if payment is None:
        return Applied("ignored: no such payment")
    if payment.status not in ("pending", "failed"):
        return Applied(f"no change: payment already {payment.status}")
    reason = str((intent.get("last_payment_error") or {}).get("message") or "The card payment failed.")[:500]
    store.update_payment(tx, payment, [Payment.status.set("failed"), Payment.failure_reason.set(reason)])
    audit.record(STRIPE, "payment.failed", "payment", payment.payment_id, tx=tx,
                 before={"status": payment.status}, after={"status": "failed", "failureReason": reason})  # fmt: skip
    return Applied(f"failed: {reason}")


def _canceled(tx: WriteTransaction, intent: dict[str, Any]) -> Applied:
    payment = _payment_of_intent(intent)
    if payment is None:
        return Applied("ignored: no such payment")
    if payment.status not in ("pending", "failed"):
        return Applied(f"no change: payment already {payment.status}")
    if payment.kind == "order":
        # Its own conditional writes (orders still pending_payment only), so running it again is harmless.
        order_expiry.cancel_unpaid_checkout(payment, reason="The card payment was canceled.", actor=None)
        payment = store.load_payment(payment.payment_id) or payment
        if payment.status not in ("pending", "failed"):
            return Applied(f"canceled: unpaid orders cancelled, payment {payment.status}")
    store.update_payment(tx, payment, [Payment.status.set("canceled")])
    audit.record(STRIPE, "payment.canceled", "payment", payment.payment_id, tx=tx,
                 before={"status": payment.status}, after={"status": "canceled"})  # fmt: skip
    return Applied("canceled: payment canceled" + (", unpaid orders cancelled" if payment.kind == "order" else ""))


# ---------------------------------------------------------------- charge.refunded


def _payment_of_charge(charge: dict[str, Any]) -> tuple[Payment, list[Refund]] | None:
    """The payment and its refunds (one Query), found by the charge's ``metadata.paymentId``.

    A charge without it (Stripe does not always copy the intent's metadata) costs one Stripe
    call for its PaymentIntent: ``charge.refunded`` is not the common path. An intent Stripe
    does not know is None (the event is ignored); Stripe unreachable is 502/503, so that
    Stripe delivers the event again later.
    """
    payment_id = (charge.get("metadata") or {}).get("paymentId")
    intent_id = charge.get("payment_intent")
    if not payment_id and intent_id:
        intent = gateway.find_payment_intent(str(intent_id))
        if intent is None:  # not an intent Stripe knows for our account: nothing of ours to update
            return None
        payment_id = (intent.get("metadata") or {}).get("paymentId")
    if not payment_id:
        return None
    payment, refunds = store.payment_with_refunds(str(payment_id))
    if payment is None or (intent_id and payment.stripe_payment_intent_id not in (None, intent_id)):
        return None
    return payment, refunds


def stripe_refund_id(charge: dict[str, Any]) -> str:
    """The newest refund's id when the charge lists its refunds, else one derived from the new total."""
    listed = [r for r in ((charge.get("refunds") or {}).get("data") or []) if isinstance(r, dict) and r.get("id")]
    if listed:
        return str(max(listed, key=lambda r: int(r.get("created") or 0))["id"])
    return f"{charge.get('id')}-{int(charge.get('amount_refunded') or 0)}"


def _order_refund_actions(order: Order, amount: int) -> tuple[list[Any], Any]:
    refunded = int(order.refunded_amount or 0) + amount
    moves = None
    if order.status in order_status.REFUNDABLE:
        target = "refunded" if refunded >= int(order.paid_amount or 0) else "partially_refunded"
        if target != order.status:
            moves = move_actions(order, target, None, "refunded in the Stripe dashboard")
    return store.order_refund_actions(order, amount, moves)


def _charge_refunded(tx: WriteTransaction, charge: dict[str, Any]) -> Applied:
    found = _payment_of_charge(charge)
    if found is None:
        return Applied("ignored: no such payment")
    payment, refunds = found
    # What we already know went back to the card (refunds to the wallet are not in Stripe's total).
    known = sum(int(r.amount) for r in refunds if r.to == "original" and r.status != "failed")
    on_card = int(charge.get("amount_refunded") or 0)
    if on_card <= known:
        return Applied(f"no change: {known} already recorded as refunded to the card")
    before = int(payment.refunded_amount or 0)
    amount = min(on_card - known, int(payment.amount) - before)
    if amount <= 0:
        return Applied(f"no change: the payment is refunded in full ({before})")
    total = before + amount
    stripe_id = stripe_refund_id(charge)
    refund_id = f"stripe-{stripe_id}"
    order_ids = [str(i) for i in payment.order_ids or []]
    only_order = order_ids[0] if len(order_ids) == 1 else None
    refund = store.new_refund(payment, refund_id, order_id=only_order, amount=amount,
                              reason="Refunded in the Stripe dashboard.", status="succeeded",
                              actor_id=STRIPE.user_id, stripe_refund_id=stripe_id)  # fmt: skip
    store.add_refund(tx, refund, label="refund")
    new_status = "refunded" if total >= int(payment.amount) else "partially_refunded"
    store.update_payment(tx, payment, [Payment.status.set(new_status), Payment.refunded_amount.set(total)])
    if only_order:
        order = store.get_order(only_order)
        actions, condition = _order_refund_actions(order, amount)
        store.update_order(tx, order, actions, condition)
        # The store's net and the platform's cut go back too, at the lines' frozen rates.
        reversal = commissions.reversal_writes(order.store_id, order.order_id, refund_id, amount)
        if reversal is not None:
            reversal(tx)
    audit.record(STRIPE, "payment.refunded_outside", "payment", payment.payment_id, tx=tx,
                 before={"status": payment.status, "refundedAmount": before},
                 after={"status": new_status, "refundedAmount": total, "refundId": refund_id})  # fmt: skip
    return Applied(f"refunded outside the API: {amount} {payment.currency} recorded as {refund_id}")


# ---------------------------------------------------------------- charge.dispute.*


def _dispute(event_type: str, created: int, tx: WriteTransaction, dispute: dict[str, Any]) -> Applied:
    """A chargeback event: the payment of the dispute's intent and its orders, to finance."""
    charge = dispute.get("charge")
    intent = dispute.get("payment_intent") or (charge.get("payment_intent") if isinstance(charge, dict) else None)
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    if not isinstance(intent_id, str) or not intent_id:
        return Applied("ignored: the dispute names no payment intent")
    metadata = charge.get("metadata") if isinstance(charge, dict) else None
    found = _payment_of_charge({"payment_intent": intent_id, "metadata": metadata or {}})
    if found is None:
        return Applied("ignored: no such payment")
    payment = found[0]
    if payment.kind != "order":
        logger.warning("a wallet top-up is disputed", extra={"payment_id": payment.payment_id})
        return Applied("ignored: a top-up's dispute concerns no store")
    orders = store.orders_of([str(i) for i in payment.order_ids or []])
    result = disputes.apply_dispute(tx, event_type, dispute, created, payment_id=payment.payment_id,
                                    currency=payment.currency, orders=orders)  # fmt: skip
    return Applied(result.outcome, result.after_commit)


APPLIERS: dict[str, Callable[[WriteTransaction, dict[str, Any]], Applied]] = {
    "payment_intent.succeeded": _succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "payment_intent.canceled": _canceled,
    "charge.refunded": _charge_refunded,
}

# Finance's appliers also take the event's ``created``: state from the newest event wins, whatever the arrival order.
FINANCE_APPLIERS: dict[str, Callable[[WriteTransaction, dict[str, Any], int], str]] = {
    "account.updated": payout_accounts.apply_account_updated,
    "transfer.reversed": payouts.apply_transfer_reversed,
}


def _bank_payout_failed(account_id: str, tx: WriteTransaction, obj: dict[str, Any]) -> Applied:
    outcome, notify = payout_accounts.apply_bank_payout_failed(tx, account_id, obj)
    return Applied(outcome, [notify] if notify else [])


def _finance(apply: Callable[[WriteTransaction, dict[str, Any], int], str],
             created: int) -> Callable[[WriteTransaction, dict[str, Any]], Applied]:  # fmt: skip
    return lambda tx, obj: Applied(apply(tx, obj, created))
