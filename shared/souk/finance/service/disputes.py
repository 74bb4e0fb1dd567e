"""Chargebacks: Stripe's ``charge.dispute.*`` events on the stores a disputed payment paid, once and in any order.

Rules (plain functions, no AWS):

- **Facts** (:func:`facts_of`): what an event says, from its object alone: the dispute's id,
  amount, currency, Stripe status, reason, ``evidence_details.due_by``, Stripe's fee (the
  ``fee`` of the withdrawals among ``balance_transactions``) and the event's ``created``.
  Its **outcome** (:func:`outcome_of`): ``lost`` for ``lost``; ``won`` for ``won`` and the
  other ends that give the money back (``warning_closed``, an inquiry that never became a
  chargeback; ``charge_refunded``, ``prevented``) and for ``funds_reinstated``; else ``open``.
- **Split** (:func:`split_orders`, :func:`plan_order`): the disputed amount over the
  payment's orders pro rata to what each paid (less what was refunded), largest remainder
  (never more than they hold); an order's share over its commission lines as a refund of
  that amount would be (:func:`souk.finance.service.commissions.plan_reversal`: pro rata to
  each line's remaining gross, each line at its *frozen* rate; what exceeds the goods is the
  order's delivery fee, the platform's). A store's share is the sum of its orders', its hold
  their net (never the delivery fee: the store never had it). Stripe's fee splits over the stores pro rata to their
  shares.
- **Steps** (:func:`decide`), from what the dispute's items say and the event, never from the
  order events arrive in:

  - *hold* (``DISPUTE#<id>#HOLD``: available -> held, ``available`` may go negative) the first
    time any event of the dispute is seen, whatever its status: every later step needs it;
  - *fee* (``DISPUTE#<id>#FEE``, :func:`souk.finance.ledger.dispute_fee`, payer from
    ``funds.disputeFeePayer``) once, by the first event whose object shows the withdrawal;
  - *settle* once, by the first event whose outcome is ``lost`` or ``won``: lost
    (``DISPUTE#<id>#LOST``) gives the gross back to the outside, the commission and the delivery
    fee disputed back from the platform and the store's net out of ``held``, and the Commission
    records the reversal like a refund (reversal ``dispute-<id>``; an order not released yet gives its net from
    ``pending``, which its release would otherwise still move, and its hold goes back to
    ``available``); won (``DISPUTE#<id>#WON``) moves the hold back to ``available``. A later
    event with the other outcome (impossible at Stripe) moves nothing: it is logged;
  - *status*, due date and ``eventCreated`` follow the newest event (its ``created``; at the same
    second a closing status beats an open one), so a ``created`` delivered after ``closed``
    changes nothing.

Each step's items, ledger entries and balances change in one transaction, conditioned on the
items' versions and the entries' business keys. The last step goes in the event's own
transaction (with its StripeEvent record); when one event needs several (``closed`` delivered
before ``created``), the earlier ones commit first, each on its own: a store's balance item can
change only once per transaction. Each step is safe alone, so a crash between them leaves
what the next delivery finishes. The store owners and the admins get an email when the
dispute is first seen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from souk.admin_settings import service as admin_settings
from souk.audit import service as audit
from souk.caller import Actor
from souk.catalog.service.stores import get_store
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.errors import NotFound
from souk.finance import ledger
from souk.finance.models import Commission, Dispute
from souk.finance.service.commissions import (
    ReversalPlan,
    applied,
    plan_reversal,
    remaining_fee,
    status_after,
)
from souk.finance.store import commissions as commission_store
from souk.finance.store import disputes as store
from souk.finance.store import ledger as ledger_store
from souk.identity.schemas.users import UserListQuery
from souk.identity.service.user_admin import list_users
from souk.money import display, largest_remainder
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify
from souk.notify.exceptions import NotificationError
from souk.observability import logger
from souk.schema import MAX_LIMIT

STRIPE = Actor(user_id="stripe", role="system")
OPEN, WON, LOST = "open", "won", "lost"
EVENTS = frozenset({
    "charge.dispute.created", "charge.dispute.updated", "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated", "charge.dispute.closed",
})  # fmt: skip
REINSTATED = "charge.dispute.funds_reinstated"
LOST_STATUSES = frozenset({"lost"})
# Closed with the money back to the merchant: won, an inquiry closed, refunded or prevented instead.
WON_STATUSES = frozenset({"won", "warning_closed", "charge_refunded", "prevented"})
ADMIN_PAGES = 5  # admins to email: at most this many pages of MAX_LIMIT


class DisputedOrder(Protocol):
    """What a dispute reads of an order (souk.orders.models.Order; webhooks pass them in)."""

    @property
    def order_id(self) -> str: ...
    @property
    def store_id(self) -> str: ...
    @property
    def store_owner_id(self) -> str: ...
    @property
    def paid_amount(self) -> Any: ...
    @property
    def refunded_amount(self) -> Any: ...


# ---------------------------------------------------------------- the event's facts


def outcome_of(status: str, event_type: str = "") -> str:
    """``lost``, ``won`` (the money goes back to the store) or ``open``, from the dispute's status."""
    if status in LOST_STATUSES:
        return LOST
    if status in WON_STATUSES or event_type == REINSTATED:
        return WON
    return OPEN


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def withdrawal_fee(balance_transactions: Any) -> int:
    """Stripe's dispute fee: the ``fee`` of the withdrawals (negative amounts) among the dispute's
    balance transactions (expanded objects; bare ids carry nothing and count 0)."""
    if not isinstance(balance_transactions, list):
        return 0
    total = 0
    for bt in balance_transactions:
        if isinstance(bt, dict) and (_int(bt.get("amount")) or 0) < 0:
            total += max(_int(bt.get("fee")) or 0, 0)
    return total


@dataclass(frozen=True)
class Facts:
    dispute_id: str
    event_type: str
    created: int
    amount: int
    currency: str
    status: str
    reason: str | None = None
    due_by: datetime | None = None
    fee: int = 0
    charge_id: str | None = None
    intent_id: str | None = None

    @property
    def outcome(self) -> str:
        return outcome_of(self.status, self.event_type)


def _id_of(value: Any) -> str | None:
    """A Stripe reference: the id, or the expanded object's id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def facts_of(event_type: str, dispute: Mapping[str, Any], created: int) -> Facts | None:
    """The facts of a ``charge.dispute.*`` event's object, None for an object that is not a dispute."""
    dispute_id, amount = dispute.get("id"), _int(dispute.get("amount"))
    currency, status = dispute.get("currency"), dispute.get("status")
    if not (isinstance(dispute_id, str) and dispute_id and amount is not None and amount >= 0
            and isinstance(currency, str) and currency and isinstance(status, str) and status):  # fmt: skip
        return None
    evidence = dispute.get("evidence_details")
    due = _int(evidence.get("due_by")) if isinstance(evidence, dict) else None
    reason = dispute.get("reason")
    return Facts(dispute_id=dispute_id, event_type=event_type, created=created, amount=amount,
                 currency=currency.lower(), status=status, reason=reason if isinstance(reason, str) else None,
                 due_by=datetime.fromtimestamp(due, UTC) if due and due > 0 else None,
                 fee=withdrawal_fee(dispute.get("balance_transactions")), charge_id=_id_of(dispute.get("charge")),
                 intent_id=_id_of(dispute.get("payment_intent")))  # fmt: skip


# ---------------------------------------------------------------- the split


def split_orders(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` over the orders pro rata to ``weights`` (what each paid, less refunds), largest
    remainder, capped at their sum (a dispute never takes more than the orders hold)."""
    weights = [max(w, 0) for w in weights]
    return largest_remainder(min(amount, sum(weights)), weights) if sum(weights) else [0] * len(weights)


def plan_order(lines: Sequence[Mapping[str, Any]], amount: int, delivery_fee: int = 0) -> ReversalPlan:
    """An order's share of a dispute over its commission lines, each at its frozen rate, then its unrefunded
    ``delivery_fee`` (``from_bucket`` is decided when the dispute is lost)."""
    return plan_reversal(lines, amount, released=True, delivery_fee=delivery_fee)


def plan_record(plan: ReversalPlan) -> dict[str, Any]:
    """How a store's Dispute item remembers an order's share."""
    return {"gross": plan.gross, "commission": plan.commission, "deliveryFee": plan.delivery_fee,
            "lines": [[r.line, r.gross, r.commission] for r in plan.lines]}  # fmt: skip


# ---------------------------------------------------------------- the steps


@dataclass(frozen=True)
class Seen:
    """What the dispute's items say (they are always written together)."""

    status: str
    event_created: int
    fee_posted: bool
    settlement: str


@dataclass(frozen=True)
class Steps:
    hold: bool = False  # first sight: create the items and hold each store's net
    fee: bool = False  # book Stripe's fee
    settle: str | None = None  # won | lost
    newer: bool = False  # the event is the newest seen: status, due date and eventCreated follow it
    conflict: bool = False  # a closing outcome that contradicts the settled one: nothing moves

    @property
    def money(self) -> list[str]:
        return [name for name, wanted in (("hold", self.hold), ("fee", self.fee), ("settle", bool(self.settle)))
                if wanted]  # fmt: skip


def is_newer(seen: Seen | None, facts: Facts) -> bool:
    """Is the event newer than every one applied? Later ``created`` wins; at the same second a closing
    status beats an open one (they never reopen)."""
    if seen is None:
        return True
    mine = (facts.created, outcome_of(facts.status) != OPEN)
    theirs = (seen.event_created, outcome_of(seen.status) != OPEN)
    return mine > theirs


def decide(seen: Seen | None, facts: Facts) -> Steps:
    """What applying the event does, given what the items say (None: the dispute was never seen)."""
    outcome = facts.outcome
    settled = seen.settlement if seen is not None else OPEN
    settle = outcome if outcome != OPEN and settled == OPEN else None
    conflict = outcome != OPEN and settled not in (OPEN, outcome)
    fee = facts.fee > 0 and not (seen is not None and seen.fee_posted)
    return Steps(hold=seen is None, fee=fee, settle=settle, newer=is_newer(seen, facts), conflict=conflict)


def lost_postings(orders: Sequence[tuple[ReversalPlan, bool]], held: int) -> dict[str, int]:
    """A lost dispute's postings for one store: the orders' reversals (plan, released) and the hold.

    A released order's net leaves ``held``; an order not released yet gives its net from
    ``pending`` (its release moves only what was not reversed) and its part of the hold goes
    back to ``available``, as does any hold a reversal no longer needs.
    """
    gross = sum(plan.total for plan, _ in orders)
    commission = sum(plan.commission for plan, _ in orders)
    delivery_fees = sum(plan.delivery_fee for plan, _ in orders)
    from_held = sum(plan.net for plan, released in orders if released)
    from_pending = sum(plan.net for plan, released in orders if not released)
    postings = {ledger.SALES: gross, ledger.PLATFORM_COMMISSION: -commission, ledger.PLATFORM_DELIVERY: -delivery_fees,
                ledger.STORE + "held": -held, ledger.STORE + "available": held - from_held,
                ledger.STORE + "pending": -from_pending}  # fmt: skip
    return {account: amount for account, amount in postings.items() if amount}


def hold_key(dispute_id: str) -> str:
    return f"DISPUTE#{dispute_id}#HOLD"


def fee_key(dispute_id: str) -> str:
    return f"DISPUTE#{dispute_id}#FEE"


def settle_key(dispute_id: str, outcome: str) -> str:
    return f"DISPUTE#{dispute_id}#{outcome.upper()}"


def reversal_id(dispute_id: str) -> str:
    """The key of a lost dispute's reversal in the Commission's ``reversals``."""
    return f"dispute-{dispute_id}"


# ---------------------------------------------------------------- applying an event


@dataclass
class Result:
    outcome: str
    after_commit: list[Callable[[], None]] = field(default_factory=list)


@dataclass
class _Share:
    store_id: str
    owner_id: str
    amount: int = 0
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def held(self) -> int:
        return sum(int(o["gross"]) - int(o["commission"]) for o in self.orders.values())


def _shares(facts: Facts, orders: Sequence[DisputedOrder]) -> dict[str, _Share]:
    """Each store's share of the dispute (stores with none left out): its orders' shares planned over their
    commission lines."""
    weights = [int(o.paid_amount or 0) - int(o.refunded_amount or 0) for o in orders]
    shares: dict[str, _Share] = {}
    for order, amount in zip(orders, split_orders(facts.amount, weights), strict=True):
        share = shares.setdefault(order.store_id, _Share(order.store_id, order.store_owner_id))
        share.amount += amount
        commission = commission_store.load(order.store_id, order.order_id) if amount else None
        if commission is None:
            if amount:
                logger.warning("disputed order has no commission: nothing held for it",
                               extra={"dispute_id": facts.dispute_id, "order_id": order.order_id})  # fmt: skip
            continue
        share.orders[order.order_id] = plan_record(plan_order(list(commission.lines or []), amount,
                                                              remaining_fee(commission)))  # fmt: skip
    return {store_id: share for store_id, share in shares.items() if share.amount}


def _view_actions(facts: Facts) -> list[Any]:
    """The item's fields that follow the newest event."""
    reason = Dispute.reason.set(facts.reason) if facts.reason else Dispute.reason.remove()
    due = Dispute.evidence_due_by.set(facts.due_by) if facts.due_by else Dispute.evidence_due_by.remove()
    return [Dispute.status.set(facts.status), reason, due, Dispute.event_created.set(facts.created)]


def _hold(facts: Facts, payment_id: str, shares: Mapping[str, _Share], tx: WriteTransaction) -> None:
    """First sight of the dispute: each store's item and its hold."""
    for share in shares.values():
        item = store.new_dispute(share.store_id, facts.dispute_id, owner_id=share.owner_id, payment_id=payment_id,
                                 charge_id=facts.charge_id, payment_intent_id=facts.intent_id,
                                 currency=facts.currency, dispute_amount=facts.amount, amount=share.amount,
                                 held=share.held, orders=share.orders, status=facts.status, reason=facts.reason,
                                 evidence_due_by=facts.due_by, event_created=facts.created, fee=0, fee_posted=0,
                                 settlement=OPEN)  # fmt: skip
        store.put_new(tx, item)
        if share.held:
            ledger_store.post(tx, ledger.move(share.store_id, hold_key(facts.dispute_id), "dispute_hold",
                                              facts.currency, amount=share.held, source="available", target="held",
                                              memo=facts.dispute_id))  # fmt: skip
    audit.record(STRIPE, "dispute.held", "dispute", facts.dispute_id, tx=tx,
                 after={"status": facts.status, "amount": facts.amount, "currency": facts.currency,
                        "held": {s.store_id: s.held for s in shares.values()}})  # fmt: skip


def _fee(facts: Facts, newer: bool, items: Mapping[str, Dispute], tx: WriteTransaction) -> None:
    payer = admin_settings.current().funds.dispute_fee_payer
    ordered = sorted(items.values(), key=lambda i: i.store_id)
    weights = [int(i.amount) for i in ordered]
    fees = largest_remainder(facts.fee, weights) if sum(weights) else [facts.fee] + [0] * (len(ordered) - 1)
    for item, fee in zip(ordered, fees, strict=True):
        actions = [Dispute.fee.set(fee), Dispute.fee_payer.set(payer), Dispute.fee_posted.set(1)]
        store.update(tx, item, actions + (_view_actions(facts) if newer else []))
        if fee:
            ledger_store.post(tx, ledger.dispute_fee(item.store_id, fee_key(facts.dispute_id), item.currency,
                                                     fee=fee, payer=payer))  # fmt: skip
    audit.record(STRIPE, "dispute.fee_booked", "dispute", facts.dispute_id, tx=tx,
                 after={"fee": facts.fee, "payer": payer, "byStore": dict(zip([i.store_id for i in ordered], fees,
                                                                               strict=True))})  # fmt: skip


def _lost_orders(facts: Facts, item: Dispute, tx: WriteTransaction) -> list[tuple[ReversalPlan, bool]]:
    """Each order's reversal at its lines' frozen rates, recorded on its Commission like a refund's."""
    done: list[tuple[ReversalPlan, bool]] = []
    for order_id, share in sorted((item.orders or {}).items()):
        commission = commission_store.load(item.store_id, order_id)
        if commission is None:
            continue
        released = bool(int(commission.released))
        disputed = int(share["gross"]) + int(share.get("deliveryFee", 0))
        planned = plan_reversal(list(commission.lines or []), disputed, released=released,
                                delivery_fee=remaining_fee(commission))  # fmt: skip
        plan = ReversalPlan(planned.lines, "held" if released else "pending", planned.delivery_fee)
        if plan.total <= 0:
            continue
        _record_on_commission(commission, facts.dispute_id, plan, tx)
        done.append((plan, released))
    return done


def _record_on_commission(commission: Commission, dispute_id: str, plan: ReversalPlan, tx: WriteTransaction) -> None:
    lines = applied(list(commission.lines or []), plan)
    commission_store.record_reversal(tx, commission, reversal_id(dispute_id), plan.as_record(), lines=lines,
                                     gross=plan.gross, commission_amount=plan.commission, net=plan.net,
                                     delivery_fee=plan.delivery_fee, status=status_after(commission, plan))  # fmt: skip


def _settle(facts: Facts, outcome: str, newer: bool, items: Mapping[str, Dispute], tx: WriteTransaction) -> None:
    moved: dict[str, int] = {}
    for item in sorted(items.values(), key=lambda i: i.store_id):
        held = int(item.held or 0)
        key = settle_key(facts.dispute_id, outcome)
        if outcome == LOST:
            orders = _lost_orders(facts, item, tx)
            postings = lost_postings(orders, held)
            order_id = next(iter(item.orders or {}), None) if len(item.orders or {}) == 1 else None
            if postings:
                ledger_store.post(tx, ledger.Entry(item.store_id, key, "dispute_lost", item.currency, postings,
                                                   order_id=order_id, memo=facts.dispute_id))  # fmt: skip
            moved[item.store_id] = sum(plan.net for plan, _ in orders)
        else:
            if held:
                release = ledger.move(item.store_id, key, "dispute_release", item.currency, amount=held,
                                      source="held", target="available", memo=facts.dispute_id)  # fmt: skip
                ledger_store.post(tx, release)
            moved[item.store_id] = held
        actions = [Dispute.settlement.set(outcome), Dispute.settled_at.set(utc_now())]
        store.update(tx, item, actions + (_view_actions(facts) if newer else []))
    action = "dispute.lost" if outcome == LOST else "dispute.won"
    audit.record(STRIPE, action, "dispute", facts.dispute_id, tx=tx,
                 after={"status": facts.status, "byStore": moved})  # fmt: skip


def _refresh(facts: Facts, items: Mapping[str, Dispute], tx: WriteTransaction) -> None:
    for item in items.values():
        store.update(tx, item, _view_actions(facts))
    audit.record(
        STRIPE,
        "dispute.updated",
        "dispute",
        facts.dispute_id,
        tx=tx,
        after={"status": facts.status, "evidenceDueBy": facts.due_by.isoformat() if facts.due_by else None},
    )


def _seen(items: Mapping[str, Dispute]) -> Seen | None:
    if not items:
        return None
    newest = max(items.values(), key=lambda i: int(i.event_created or 0))
    settled = next((i.settlement for i in items.values() if i.settlement != OPEN), OPEN)
    return Seen(status=newest.status, event_created=int(newest.event_created or 0),
                fee_posted=all(int(i.fee_posted or 0) for i in items.values()), settlement=settled)  # fmt: skip


def apply_dispute(tx: WriteTransaction, event_type: str, dispute: Mapping[str, Any], created: int, *,
                  payment_id: str, currency: str, orders: Sequence[DisputedOrder]) -> Result:  # fmt: skip
    """Apply one ``charge.dispute.*`` event of a payment whose ``orders`` the caller read.

    Adds the event's last step to ``tx`` (earlier steps, when it needs several, commit first on
    their own). Raises :class:`souk.db.transactions.TransactionCancelled` when an earlier step
    lost a race: the caller rebuilds everything from a fresh read.
    """
    facts = facts_of(event_type, dispute, created)
    if facts is None:
        return Result("ignored: not a dispute object")
    if facts.currency != currency.lower():
        logger.warning("dispute currency differs from the payment's",
                       extra={"dispute_id": facts.dispute_id, "payment_id": payment_id})  # fmt: skip
        return Result(f"ignored: dispute in {facts.currency}, payment in {currency}")
    orders = sorted(orders, key=lambda o: o.order_id)  # the largest remainder's ties: the same on every delivery
    store_ids = sorted({o.store_id for o in orders})
    items = store.load_many(facts.dispute_id, store_ids)
    steps = decide(_seen(items), facts)
    if steps.conflict:
        logger.error("dispute closed twice with different outcomes: nothing moved",
                     extra={"dispute_id": facts.dispute_id, "status": facts.status})  # fmt: skip
    plan: list[Callable[[Mapping[str, Dispute], WriteTransaction], None]] = []
    notify: list[Callable[[], None]] = []
    if steps.hold:
        shares = _shares(facts, orders)
        if not shares:
            return Result("ignored: nothing of the payment left to dispute")
        plan.append(lambda _items, t: _hold(facts, payment_id, shares, t))
        notify.append(partial(notify_opened, facts, payment_id, list(shares.values())))
    if steps.fee:
        plan.append(partial(_fee, facts, steps.newer))
    if steps.settle:
        plan.append(partial(_settle, facts, steps.settle, steps.newer))
    if not plan:
        if not steps.newer:
            return Result(f"no change: a newer event of dispute {facts.dispute_id} was applied")
        _refresh(facts, items, tx)
        return Result(f"dispute {facts.dispute_id}: {facts.status}" + ("; outcome conflict ignored" * steps.conflict))
    for index, write in enumerate(plan):
        if index == len(plan) - 1:
            write(items, tx)
            break
        with WriteTransaction() as own:
            write(items, own)
        for send in notify:  # the items exist now: the owners hear of it even if a later step fails
            send()
        notify = []
        items = store.load_many(facts.dispute_id, store_ids)
    return Result(f"dispute {facts.dispute_id}: {facts.status}; " + ", ".join(steps.money), notify)


# ---------------------------------------------------------------- emails


def _due(facts: Facts) -> str:
    return facts.due_by.strftime("%Y-%m-%d %H:%M UTC") if facts.due_by else "no date given"


def _send(template: str, user_id: str, variables: dict[str, Any], facts: Facts, version: str, title: str) -> None:
    """A ``payment`` notification (in the app, the template by email), once per dispute, recipient, ``version``."""
    try:
        notify(user_id, "payment", facts.dispute_id, version, title=title,
               body=f"Reason: {variables['reason']}. Evidence is due by {variables['due_by']}.",
               data={"disputeId": facts.dispute_id}, email=Message(template, variables))  # fmt: skip
    except NotificationError as exc:
        logger.warning("dispute notification not sent", extra={"template": template, "dispute_id": facts.dispute_id,
                                                                "error_type": type(exc).__name__})  # fmt: skip


def _store_name(store_id: str) -> str:
    try:
        return get_store(store_id).name
    except NotFound:
        return "your store"


def admin_ids() -> list[str]:
    """The active admins (a few pages of the users' role index at most)."""
    found: list[str] = []
    cursor: str | None = None
    for _ in range(ADMIN_PAGES):
        query = UserListQuery.model_validate(
            {"role": "admin", "status": "active", "limit": MAX_LIMIT, "cursor": cursor}
        )
        page, cursor = list_users(query)
        found += [user.id for user in page]
        if not cursor:
            break
    return found


def notify_opened(facts: Facts, payment_id: str, shares: Sequence[Any]) -> None:
    """After the commit that first recorded the dispute: each store owner (their share, the due date)
    and every admin (the whole dispute). Best effort; each email once per dispute and recipient."""
    names = {s.store_id: _store_name(s.store_id) for s in shares}
    common = {"dispute_id": facts.dispute_id, "reason": facts.reason or "not given", "due_by": _due(facts)}
    for share in shares:
        if not share.owner_id:
            continue
        variables = {**common, "store_name": names[share.store_id], "amount": display(share.held, facts.currency),
                     "order_ids": ", ".join(sorted(share.orders)) or "none"}  # fmt: skip
        _send("dispute_opened", share.owner_id, variables, facts, f"opened:{share.store_id}",
              f"Chargeback on {variables['order_ids']}: {variables['amount']} held")  # fmt: skip
    stores = "; ".join(f"{names[s.store_id]} {display(s.held, facts.currency)}" for s in shares)
    admin_vars = {**common, "status": facts.status, "payment_id": payment_id,
                  "total": display(facts.amount, facts.currency), "stores": stores}  # fmt: skip
    try:
        admins = admin_ids()
    except Exception:  # best effort after the commit: the dispute stands without its email
        logger.exception("admins not read for a dispute email", extra={"dispute_id": facts.dispute_id})
        return
    for admin_id in admins:
        _send("dispute_opened_admin", admin_id, admin_vars, facts, "opened:admin",
              f"Chargeback {facts.dispute_id}: {admin_vars['total']}")  # fmt: skip
