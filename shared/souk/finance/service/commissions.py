"""Commissions: the platform's cut of each paid order, frozen per line, and what undoes it.

Rules (plain functions, no AWS):

- **Rate** of a line (:func:`rate_for`): the store's rate (``commission.storeRatesBps``),
  else the rate of the line's category (``categoryRatesBps``, the product's primary
  category as snapshotted on the order line at checkout; a line without ``categoryId``,
  from an order placed before the snapshot existed, skips this step), else
  ``defaultRateBps``.
- **Freezing** (:func:`freeze`), when the order is paid. A line's ``gross`` is its
  ``lineTotal`` less its share of the order's discount: the discount is split pro rata to
  the line totals with the largest-remainder method (floors first, the leftover minor
  units to the largest fractional parts, ties to the earlier line), so the shares sum
  exactly to the discount and the lines' gross to what the customer paid for goods. The
  ``commission`` is ``gross * rateBps / 10000`` rounded half up (the platform's rounding
  of a half unit: a line of 5 at 10% pays 1, one of 4 pays 0); ``net = gross - commission``.
  The order's **delivery fee** is no line of the store's: the platform's couriers deliver,
  so the platform collects the fee and pays the courier from it on delivery
  (:func:`courier_fee_writes`). It is frozen beside the lines (``deliveryFee``), never
  commissioned and never in the store's net: the frozen ``gross`` is the goods' (what the
  customer paid less the fee), ``commission`` the platform's cut of them. An order with
  nothing to pay (a 100% coupon, no fee) has no commission.
- **Reversal** (:func:`plan_reversal`) of a refund of ``amount``: goods first, then the
  delivery fee. The goods' part (at most what the lines still have) is allocated to
  the lines pro rata to what each still has (its gross less what was reversed), with the
  largest remainder again, never more than a line's remaining gross. On each line the
  commission given back is the line's *frozen* commission in proportion to its gross
  reversed so far (``round_half_up(commission * reversedGross / gross)``, less what was
  given back before), so each line is reversed at its own rate, never a blended one, a line
  refunded in full gives back exactly its commission and partial refunds never more. The
  store's net comes out of ``pending`` before the release, out of ``available`` after it
  (``available`` may then go negative: the claw-back). What exceeds the goods is the delivery
  fee refunded, given back by the platform: never by the store, which never had it. So a
  partial refund (a broken jar) costs the store its goods' net and never the platform's fee,
  and a full refund leaves the store at zero for the order and refunds the fee too. Refunded
  after delivery, the courier keeps the fee they were paid: the platform bears it
  (``platform:delivery_fees`` ends negative by that much).

The writes (:func:`add_sale`, :func:`delivery_writes`, :func:`reversal_writes`,
:func:`undo_writes`) add items to the caller's transaction, so the commission, its ledger
entry and the balance change with the order change that causes them, or not at all.
:func:`release_due` is the daily job's release: every commission whose ``availableAt`` has
passed moves its remaining net from ``pending`` to ``available`` once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from souk.admin_settings import service as admin_settings
from souk.audit import service as audit
from souk.caller import Actor
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict
from souk.finance import ledger
from souk.finance.models import Commission
from souk.finance.schemas import CommissionOut, CommissionsQuery, commission_out
from souk.finance.service.balance import owned_store
from souk.finance.store import commissions as store
from souk.finance.store import ledger as ledger_store
from souk.money import largest_remainder
from souk.observability import logger

if TYPE_CHECKING:
    from souk.admin_settings.schemas import CommissionSettings
    from souk.caller import Principal

BPS = 10_000
PRODUCT = "product"
SYSTEM = Actor(user_id="finance-daily", role="system")
# Adds a finance change to the caller's transaction.
Writes = Callable[[WriteTransaction], None]


class Order(Protocol):
    """What commissions read of an order (souk.orders.models.Order; orders calls finance, never the reverse)."""

    @property
    def order_id(self) -> str: ...
    @property
    def store_id(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def lines(self) -> Any: ...
    @property
    def discount(self) -> Any: ...
    @property
    def delivery_fee(self) -> Any: ...


# ---------------------------------------------------------------- arithmetic


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves up (both >= 0, denominator > 0)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


# ---------------------------------------------------------------- rates and freezing


def rate_for(settings: CommissionSettings, store_id: str, category_id: str | None) -> int:
    """The most specific rate: the store's, else the category's (when the line names one), else the default."""
    if store_id in settings.store_rates_bps:
        return settings.store_rates_bps[store_id]
    if category_id is not None and category_id in settings.category_rates_bps:
        return settings.category_rates_bps[category_id]
    return settings.default_rate_bps


def commission_of(gross: int, rate_bps: int) -> int:
    """The platform's cut of ``gross`` at ``rate_bps``, rounded half up."""
    return round_half_up(gross * rate_bps, BPS)


@dataclass(frozen=True)
class Frozen:
    """An order's commission as frozen when it was paid: its goods' lines and their sums, and the delivery fee
    (the platform's)."""

    lines: list[dict[str, Any]]
    delivery_fee: int = 0

    @property
    def gross(self) -> int:
        return sum(int(line["gross"]) for line in self.lines)

    @property
    def commission(self) -> int:
        return sum(int(line["commission"]) for line in self.lines)

    @property
    def net(self) -> int:
        return self.gross - self.commission


def _line(index: int, *, kind: str, product_id: str | None, sku: str | None, quantity: int,
          category_id: str | None, gross: int, rate_bps: int) -> dict[str, Any]:  # fmt: skip
    commission = commission_of(gross, rate_bps)
    return {"line": index, "kind": kind, "productId": product_id, "sku": sku, "quantity": quantity,
            "categoryId": category_id, "gross": gross, "rateBps": rate_bps, "commission": commission,
            "net": gross - commission, "reversedGross": 0, "reversedCommission": 0, "reversedNet": 0}  # fmt: skip


def freeze_lines(order_lines: Sequence[Mapping[str, Any]], *, store_id: str, discount: int, delivery_fee: int,
                 settings: CommissionSettings) -> Frozen:  # fmt: skip
    """The frozen lines of an order's ``order_lines`` (the order's snapshot) and its discount, beside its delivery fee.

    Raises
    ------
    ValueError
        A discount larger than the lines' total, or a negative amount (a bug upstream, never input).
    """
    totals = [int(line["lineTotal"]) for line in order_lines]
    if discount > sum(totals) or discount < 0 or delivery_fee < 0:
        raise ValueError(f"discount {discount} and delivery fee {delivery_fee} do not fit lines of {sum(totals)}")
    shares = largest_remainder(discount, totals) if discount else [0] * len(totals)
    lines = []
    for index, (line, total, share) in enumerate(zip(order_lines, totals, shares, strict=True)):
        category = line.get("categoryId")
        lines.append(_line(index, kind=PRODUCT, product_id=str(line["productId"]), sku=line.get("sku"),
                           quantity=int(line["quantity"]), category_id=category, gross=total - share,
                           rate_bps=rate_for(settings, store_id, category)))  # fmt: skip
    return Frozen(lines, delivery_fee)


def freeze(order: Order, settings: CommissionSettings) -> Frozen:
    """:func:`freeze_lines` of a paid order."""
    return freeze_lines(list(order.lines or []), store_id=order.store_id, discount=int(order.discount or 0),
                        delivery_fee=int(order.delivery_fee or 0), settings=settings)  # fmt: skip


# ---------------------------------------------------------------- reversals


def allocate_refund(amount: int, remaining: Sequence[int]) -> list[int]:
    """``amount`` over the lines pro rata to their ``remaining`` gross (largest remainder), each at most its own.

    Raises
    ------
    ValueError
        More than the lines still have.
    """
    if amount > sum(remaining):
        raise ValueError(f"a reversal of {amount} exceeds the {sum(remaining)} left to reverse")
    return largest_remainder(amount, remaining)


@dataclass(frozen=True)
class LineReversal:
    line: int
    gross: int
    commission: int

    @property
    def net(self) -> int:
        return self.gross - self.commission


@dataclass(frozen=True)
class ReversalPlan:
    """What a reversal takes back, per line and in all, and from which bucket the store's net comes; and the
    delivery fee it refunds (the platform's)."""

    lines: list[LineReversal]
    from_bucket: str
    delivery_fee: int = 0

    @property
    def gross(self) -> int:
        return sum(r.gross for r in self.lines)

    @property
    def commission(self) -> int:
        return sum(r.commission for r in self.lines)

    @property
    def net(self) -> int:
        return self.gross - self.commission

    @property
    def total(self) -> int:
        """What the customer gets back: the goods' gross and the delivery fee."""
        return self.gross + self.delivery_fee

    def as_record(self) -> dict[str, Any]:
        """How the Commission item remembers it (so a failed refund can give back exactly this)."""
        return {"gross": self.gross, "commission": self.commission, "deliveryFee": self.delivery_fee,
                "from": self.from_bucket, "lines": [[r.line, r.gross, r.commission] for r in self.lines]}  # fmt: skip

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ReversalPlan:
        return cls([LineReversal(int(a), int(b), int(c)) for a, b, c in record["lines"]], str(record["from"]),
                   int(record.get("deliveryFee", 0)))  # fmt: skip


def remaining_gross(lines: Sequence[Mapping[str, Any]]) -> list[int]:
    return [int(line["gross"]) - int(line.get("reversedGross", 0)) for line in lines]


def remaining_fee(commission: Commission) -> int:
    """The delivery fee of a commission not refunded yet."""
    return int(commission.delivery_fee or 0) - int(commission.reversed_delivery_fee or 0)


def plan_reversal(lines: Sequence[Mapping[str, Any]], amount: int, *, released: bool,
                  delivery_fee: int = 0) -> ReversalPlan:  # fmt: skip
    """The reversal of ``amount``: the goods first (capped at what the lines still have) at each line's frozen
    rate, then what exceeds them of the ``delivery_fee`` still unrefunded (the platform's)."""
    left = remaining_gross(lines)
    goods = min(amount, sum(left))
    fee = min(amount - goods, max(delivery_fee, 0))
    shares = allocate_refund(goods, left)
    reversals = []
    for line, share in zip(lines, shares, strict=True):
        if not share:
            continue
        gross, frozen = int(line["gross"]), int(line["commission"])
        before = int(line.get("reversedCommission", 0))
        after = round_half_up(frozen * (int(line.get("reversedGross", 0)) + share), gross)
        reversals.append(LineReversal(int(line["line"]), share, after - before))
    return ReversalPlan(reversals, "available" if released else "pending", fee)


def applied(lines: Sequence[Mapping[str, Any]], plan: ReversalPlan, *, sign: int = 1) -> list[dict[str, Any]]:
    """The lines with ``plan`` added to their reversed amounts (``sign=-1``: taken off again)."""
    by_line = {r.line: r for r in plan.lines}
    out = []
    for line in lines:
        copy = dict(line)
        r = by_line.get(int(line["line"]))
        if r is not None:
            copy["reversedGross"] = int(line.get("reversedGross", 0)) + sign * r.gross
            copy["reversedCommission"] = int(line.get("reversedCommission", 0)) + sign * r.commission
            copy["reversedNet"] = int(line.get("reversedNet", 0)) + sign * r.net
        out.append(copy)
    return out


def status_of(gross: int, reversed_gross: int, *, released: bool) -> str:
    """``reversed`` when all of it went back, ``partially_reversed`` when some did, else pending/available."""
    if reversed_gross >= gross > 0:
        return "reversed"
    if reversed_gross > 0:
        return "partially_reversed"
    return "available" if released else "pending"


def undo_entry(commission: Commission, refund_id: str, plan: ReversalPlan) -> ledger.Entry:
    """The reversal of a refund that failed, reversed: the store's net back to where it now belongs
    (``pending`` until released, ``available`` after), the platform's commission and delivery fee back to it."""
    bucket = "available" if int(commission.released) else "pending"
    return ledger.Entry(commission.store_id, f"REVERSAL#{refund_id}#UNDONE", "reversal_undone", commission.currency, {
        ledger.SALES: -plan.total, ledger.PLATFORM_COMMISSION: plan.commission, ledger.STORE + bucket: plan.net,
        **({ledger.PLATFORM_DELIVERY: plan.delivery_fee} if plan.delivery_fee else {}),
    }, order_id=commission.order_id)  # fmt: skip


# ---------------------------------------------------------------- release timing


def available_at(delivered_at: datetime, hold_days: int) -> datetime:
    """When a delivered order's net becomes available: ``funds.holdDays`` after delivery."""
    return delivered_at.astimezone(UTC) + timedelta(days=hold_days)


def release_amount(commission: Commission) -> int:
    """What is still pending of a commission: its net less what reversals already took from pending."""
    return int(commission.net) - int(commission.reversed_net)


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included (none when ``first > last``)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# ---------------------------------------------------------------- writes in the order's transaction


def is_commission_race(labels: Sequence[str]) -> bool:
    """Did the transaction fail on a commission changed since it was read (re-read and retry)?"""
    return any(label.startswith(store.COMMISSION_LABEL_PREFIX) for label in labels)


def add_sale(tx: WriteTransaction, order: Order, *, now: datetime | None = None) -> Frozen | None:
    """The order is paid: its Commission (lines frozen at today's rates) and the sale entry (store
    ``pending`` += net) join ``tx``. Nothing for an order with nothing paid.

    The Commission is put only if absent and the entry only if never posted: a retry of the
    same payment fails the transaction on those labels instead of counting it twice.
    """
    frozen = freeze(order, admin_settings.current().commission)
    if frozen.gross + frozen.delivery_fee <= 0:
        return None
    store.put_new(tx, store.new_commission(order.store_id, order.order_id, order.currency, frozen.lines,
                                           gross=frozen.gross, commission=frozen.commission, net=frozen.net,
                                           delivery_fee=frozen.delivery_fee, paid_at=now or utc_now()))  # fmt: skip
    ledger_store.post(tx, ledger.sale(order.store_id, order.order_id, order.currency, gross=frozen.gross,
                                      commission=frozen.commission, delivery_fee=frozen.delivery_fee))  # fmt: skip
    return frozen


def delivery_writes(order: Order, delivered_at: datetime) -> Writes | None:
    """For the transaction that moves ``order`` to ``delivered``: its Commission gets ``deliveredAt``,
    ``availableAt`` (``funds.holdDays`` later) and its place in the release index. None when the
    order has no commission (paid before commissions existed, or nothing paid) or was released."""
    commission = store.load(order.store_id, order.order_id)
    if commission is None or int(commission.released):
        return None
    at = available_at(delivered_at, admin_settings.current().funds.hold_days)
    return partial(store.mark_delivered, commission=commission, delivered_at=delivered_at, available_at=at)


def reversal_writes(store_id: str, order_id: str, refund_id: str, amount: int) -> Writes | None:
    """For the transaction that records refund ``refund_id`` of ``amount`` on an order: the reversal
    entry ``REVERSAL#<refundId>`` at the lines' frozen rates and the Commission's reversed amounts
    and status (conditioned on the version read: a lost race fails on the commission's label, see
    :func:`is_commission_race`). None when the order has no commission or nothing left to reverse."""
    commission = store.load(store_id, order_id)
    if commission is None:
        return None
    plan = plan_reversal(list(commission.lines or []), amount, released=bool(int(commission.released)),
                         delivery_fee=remaining_fee(commission))  # fmt: skip
    if plan.total <= 0:
        return None
    if plan.total < amount:
        logger.warning("refund larger than the commission's remaining gross and delivery fee",
                       extra={"order_id": order_id, "refund_id": refund_id, "amount": amount})  # fmt: skip
    return partial(_write_reversal, commission, refund_id, plan)


def status_after(commission: Commission, plan: ReversalPlan, *, sign: int = 1) -> str:
    """The commission's status once ``plan`` is applied (``sign=-1``: taken off again): ``reversed`` when all the
    customer paid, goods and delivery fee, went back."""
    paid = int(commission.gross) + int(commission.delivery_fee or 0)
    back = int(commission.reversed_gross) + int(commission.reversed_delivery_fee or 0) + sign * plan.total
    return status_of(paid, back, released=bool(int(commission.released)))


def _write_reversal(commission: Commission, refund_id: str, plan: ReversalPlan, tx: WriteTransaction) -> None:
    lines = applied(list(commission.lines or []), plan)
    store.record_reversal(tx, commission, refund_id, plan.as_record(), lines=lines, gross=plan.gross,
                          commission_amount=plan.commission, net=plan.net, delivery_fee=plan.delivery_fee,
                          status=status_after(commission, plan))  # fmt: skip
    ledger_store.post(tx, ledger.reversal(commission.store_id, f"REVERSAL#{refund_id}", commission.currency,
                                          gross=plan.gross, commission=plan.commission, from_bucket=plan.from_bucket,
                                          delivery_fee=plan.delivery_fee, order_id=commission.order_id))  # fmt: skip


def undo_writes(store_id: str, order_id: str, refund_id: str) -> Writes | None:
    """For the transaction that marks refund ``refund_id`` failed (the payment provider refused it): its
    reversal is undone (entry ``REVERSAL#<refundId>#UNDONE``, the Commission's amounts and status
    restored). None when the refund reversed nothing."""
    commission = store.load(store_id, order_id)
    record = (commission.reversals or {}).get(refund_id) if commission is not None else None
    if commission is None or record is None:
        return None
    return partial(_write_undo, commission, refund_id, ReversalPlan.from_record(record))


def _write_undo(commission: Commission, refund_id: str, plan: ReversalPlan, tx: WriteTransaction) -> None:
    lines = applied(list(commission.lines or []), plan, sign=-1)
    store.record_undo(tx, commission, refund_id, lines=lines, gross=plan.gross, commission_amount=plan.commission,
                      net=plan.net, delivery_fee=plan.delivery_fee,
                      status=status_after(commission, plan, sign=-1))  # fmt: skip
    ledger_store.post(tx, undo_entry(commission, refund_id, plan))


def courier_fee_writes(tx: WriteTransaction, *, store_id: str, order_id: str, delivery_id: str, currency: str,
                       fee: int) -> None:  # fmt: skip
    """For the transaction that credits a courier's wallet with a delivery's fee: the platform pays it out of the
    delivery fees it collected (entry ``COURIER#<deliveryId>``, in the store's ledger beside the order's sale,
    moving no store money). Posted once: a retry fails on the entry's label like the wallet's."""
    if fee > 0:
        ledger_store.post(tx, ledger.courier_fee(store_id, delivery_id, currency, fee=fee, order_id=order_id))


# ---------------------------------------------------------------- the daily release

JOB_NAME = "finance_daily"
# Without a cursor (the first run ever), the days this far back are read (holdDays is at most 90).
FIRST_RUN_LOOKBACK_DAYS = 100
RELEASE_ATTEMPTS = 5


@dataclass
class ReleaseReport:
    days: int = 0
    released: int = 0  # net moved to available
    emptied: int = 0  # reversed in full before its release: nothing to move, taken out of the index
    already: int = 0  # released by another run meanwhile
    amount: dict[str, int] = field(default_factory=dict)  # currency -> minor units released
    cursor: str | None = None
    complete: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"days": self.days, "released": self.released, "emptied": self.emptied, "already": self.already,
                "amount": dict(self.amount), "cursor": self.cursor, "complete": self.complete}  # fmt: skip


def release_one(commission: Commission, now: datetime) -> tuple[str, int]:
    """Move one due commission's remaining net from pending to available, once.

    One transaction: the ``RELEASE#<orderId>`` entry (never posted twice) and the Commission
    marked released and out of the index, conditioned on the version read (a refund that
    changed it meanwhile makes this re-read and recompute). Returns ``released``,
    ``emptied`` (nothing left to move) or ``already``, and the amount moved.
    """
    current: Commission | None = commission

    def attempt() -> tuple[str, int]:
        nonlocal current
        if current is None or int(current.released):
            return "already", 0
        item = current
        amount = release_amount(item)
        status = "available" if item.status == "pending" else item.status
        try:
            with WriteTransaction() as tx:
                store.mark_released(tx, item, status=status, now=now)
                if amount > 0:
                    ledger_store.post(tx, ledger.release(item.store_id, item.order_id, item.currency, net=amount))
                audit.record(SYSTEM, "commission.release", "order", item.order_id, tx=tx,
                             before={"status": item.status, "pending": amount},
                             after={"status": status, "released": amount, "storeId": item.store_id})  # fmt: skip
        except TransactionCancelled as cancelled:
            failed = cancelled.failed()
            if any(label.startswith("entry:") for label in failed):
                return "already", 0
            if is_commission_race(failed):
                current = store.load(item.store_id, item.order_id)
                raise Retry from cancelled
            raise
        return ("released" if amount > 0 else "emptied"), amount

    return retry_on_contention(
        attempt,
        attempts=RELEASE_ATTEMPTS,
        exhausted=lambda: Conflict("The commission kept changing; the next run releases it."),
    )


def release_due(now: datetime, *, exhausted: Callable[[], bool] = lambda: False) -> ReleaseReport:
    """Release every commission whose ``availableAt`` is before ``now``: the release index day by day,
    from the day after the cursor (the last day finished) to today, one Query per page. The cursor
    moves to the last finished day before today (today is only read up to now)."""
    finished = store.release_cursor(JOB_NAME)
    today = now.astimezone(UTC).date()
    first = (date.fromisoformat(finished) + timedelta(days=1)) if finished else today - timedelta(
        days=FIRST_RUN_LOOKBACK_DAYS)  # fmt: skip
    report = ReleaseReport(cursor=finished)
    for day in days_between(first, today):
        start: dict[str, Any] | None = None
        while True:
            if exhausted():
                report.complete = False
                break
            due, start = store.due_page(day.isoformat(), now, start)
            for item in due:
                try:
                    outcome, amount = release_one(item, now)
                except Conflict:
                    report.complete = False
                    continue
                setattr(report, outcome, getattr(report, outcome) + 1)
                if amount:
                    report.amount[item.currency] = report.amount.get(item.currency, 0) + amount
            if not start:
                break
        if not report.complete:
            break
        report.days += 1
        if day < today:
            report.cursor = day.isoformat()
    if report.cursor and report.cursor != finished:
        store.save_release_cursor(JOB_NAME, report.cursor)
    return report


# ---------------------------------------------------------------- the route


def list_commissions(principal: Principal, store_id: str, query: CommissionsQuery) -> tuple[list[CommissionOut],
                                                                                           str | None]:  # fmt: skip
    """GET /stores/{storeId}/commissions: newest order first, one Query per page (``status`` filters it,
    so a page may come back short with a cursor). Another owner's store is 404."""
    owned_store(principal, store_id)
    items, cursor = store.page(store_id, query)
    return [commission_out(item) for item in items], cursor
