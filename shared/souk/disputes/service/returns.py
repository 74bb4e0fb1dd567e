"""Returns: a delivered order's lines sent back, moved by the store's owner or an admin.

- Request (POST /orders/{orderId}/returns): the order's customer, once it is delivered; lines by
  ``variantSku`` (and ``productId`` when two lines share a SKU) and quantities. Never more than
  bought minus what the order's returns not rejected already ask: each line's counter
  (:class:`souk.disputes.models.ReturnedLine`) is raised in the request's transaction on that
  condition, so two requests racing for the last units cannot both pass (the loser: 422). Several
  returns per order are fine.
- Moves (PATCH /returns/{returnId}): ``requested → approved → received → refunded``, or
  ``requested``/``approved`` → ``rejected`` (its quantities released in the same transaction). Each
  is conditional on the status read: of two racing moves one applies, the other 409 INVALID_STATE.
  ``received`` puts the units back on their variants in the same transaction (a variant deleted
  since has nothing to restock: skipped), so twice at once restocks once. ``refunded`` refunds the
  returned lines' value (their line totals less their share of the order's discount, capped by
  what is left to refund) through :func:`souk.orders.service.refunds.refund_order`, the return's
  move joined to the refund's reservation: once. A card refund the provider refuses is compensated
  by refunds and the return goes back to ``received``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.catalog.service import inventory
from souk.db.base import utc_now
from souk.db.paging import decode_cursor_for, encode_cursor
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.disputes import keys
from souk.disputes.models import APPROVED, RECEIVED, REFUNDED, REJECTED, REQUESTED, ProductReturn
from souk.disputes.schemas.returns import ReturnIn, ReturnItemIn, ReturnOut, ReturnQuery, ReturnStatusIn, return_out
from souk.disputes.service import notifications
from souk.disputes.store import returns as store
from souk.errors import (
    Conflict,
    InvalidState,
    NotFound,
    ServiceUnavailable,
    UnprocessableEntity,
    UpstreamError,
    ValidationFailed,
)
from souk.ids import new_id
from souk.observability import logger
from souk.orders import status as order_status
from souk.orders.service import refunds
from souk.orders.service.orders import load_order

if TYPE_CHECKING:
    from collections.abc import Callable

    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord
    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction
    from souk.orders.models import Order

# Where a return may go from each status.
MOVES: dict[str, frozenset[str]] = {
    REQUESTED: frozenset({APPROVED, REJECTED}),
    APPROVED: frozenset({RECEIVED, REJECTED}),
    RECEIVED: frozenset({REFUNDED}),
}
MAX_ATTEMPTS = 8
LineKey = tuple[str, str]  # (productId, sku)


@dataclass(frozen=True)
class Bought:
    quantity: int
    line_total: int


# ---------------------------------------------------------------- rules: plain functions over loaded values


def check_returnable(order: Order) -> None:
    """409 INVALID_STATE unless the order was delivered (a partial refund since does not matter) and not
    refunded in full."""
    if order.status == "refunded":
        raise InvalidState("This order is refunded in full already.")
    if order_status.fulfilment_status(order.status, order.history or []) != "delivered":
        raise InvalidState("Only a delivered order's items can be returned.")


def bought_lines(order: Order) -> dict[LineKey, Bought]:
    """What the order bought per (productId, sku): quantity and line total (lines of one key added up)."""
    found: dict[LineKey, Bought] = {}
    for line in order.lines or []:
        key = (str(line["productId"]), str(line["sku"]))
        before = found.get(key, Bought(0, 0))
        found[key] = Bought(before.quantity + int(line["quantity"]), before.line_total + int(line["lineTotal"]))
    return found


def match_items(bought: dict[LineKey, Bought], items: list[ReturnItemIn]) -> list[tuple[LineKey, int]]:
    """Each item's order line and quantity.

    Raises
    ------
    ValidationFailed
        A SKU the order has no line of, a SKU two lines share without ``productId``, a line named twice.
    """
    matched: list[tuple[LineKey, int]] = []
    for index, item in enumerate(items):
        keys_ = [k for k in bought if k[1] == item.variant_sku and item.product_id in (None, k[0])]
        if not keys_:
            raise ValidationFailed.field(f"items[{index}].variantSku", "The order has no line with this SKU.")
        if len(keys_) > 1:
            raise ValidationFailed.field(f"items[{index}].productId", "Two lines share this SKU: name the productId.")
        if keys_[0] in {k for k, _ in matched}:
            raise ValidationFailed.field(f"items[{index}].variantSku", "Name each line once.")
        matched.append((keys_[0], item.quantity))
    return matched


def returnable(bought: dict[LineKey, Bought], returned: dict[LineKey, int]) -> dict[LineKey, int]:
    """Units of each line that may still be asked back: bought minus asked by returns not rejected."""
    return {key: max(0, b.quantity - returned.get(key, 0)) for key, b in bought.items()}


def check_quantities(matched: list[tuple[LineKey, int]], left: dict[LineKey, int]) -> None:
    """422 when an item asks more than its line has left to return (``data.returnable``: what is left)."""
    over = [(key, quantity) for key, quantity in matched if quantity > left.get(key, 0)]
    if over:
        (product_id, sku), _ = over[0]
        raise UnprocessableEntity(f"Only {left.get((product_id, sku), 0)} of {sku} can still be returned.",
                                  data={"returnable": [{"productId": p, "variantSku": s, "quantity": q}
                                                       for (p, s), q in left.items()]})  # fmt: skip


def value_of(order: Order, bought: Bought, quantity: int) -> int:
    """What ``quantity`` units of a line were paid: their share of the line total, less their share of the
    order's discount, rounded down (never more than was paid)."""
    gross = bought.line_total * quantity // bought.quantity
    subtotal, discount = int(order.subtotal or 0), int(order.discount or 0)
    if subtotal <= 0 or discount <= 0:
        return gross
    return gross * (subtotal - discount) // subtotal


def check_move(current: str, target: str) -> None:
    """409 INVALID_STATE unless ``current → target`` is a move of a return."""
    if target not in MOVES.get(current, frozenset()):
        raise InvalidState(f"A return that is {current} cannot become {target}.")


def refund_value(item: ProductReturn, order: Order) -> int:
    """What refunding the return pays back: its lines' value, capped by what is left of the order's payment.

    Raises
    ------
    UnprocessableEntity
        Nothing is left to refund on the order.
    """
    left = int(order.paid_amount or 0) - int(order.refunded_amount or 0)
    value = min(sum(int(i["value"]) for i in item.items or []), left)
    if value <= 0:
        raise UnprocessableEntity("Nothing is left to refund on this order.", data={"refundable": max(left, 0)})
    return value


def may_move(principal: Principal, item: ProductReturn) -> bool:
    """The owner of the order's store, or an admin."""
    return principal.is_admin or item.store_owner_id == principal.user_id


def may_see(principal: Principal, item: ProductReturn) -> bool:
    return may_move(principal, item) or item.customer_id == principal.user_id


# ---------------------------------------------------------------- reads


def list_returns(principal: Principal, query: ReturnQuery) -> tuple[list[ReturnOut], str | None]:
    """One page of the caller's returns, newest first: a customer's own, a store owner's stores', an admin's all."""
    timeline: store.Timeline = (
        "all" if principal.is_admin else "owner" if principal.role == "store_owner" else "customer"
    )
    partition, attribute = store.partition(timeline, principal.user_id)
    start = decode_cursor_for(query.cursor, attribute, partition)
    found, last_key = store.return_page(timeline, principal.user_id, query.status, limit=query.limit, start=start)
    return [return_out(r) for r in found], encode_cursor(last_key)


def _load(return_id: str) -> ProductReturn:
    item = store.read_return(return_id)
    if item is None:
        raise NotFound("No such return.")
    return item


# ---------------------------------------------------------------- request


def request_return(principal: Principal, order_id: str, request: ReturnIn) -> ReturnOut:
    """A return of some of the caller's delivered order's lines."""
    order = load_order(order_id)
    if order.customer_id != principal.user_id:
        raise NotFound("No such order.")
    check_returnable(order)
    bought = bought_lines(order)
    matched = match_items(bought, request.items)
    check_quantities(matched, returnable(bought, store.read_returned(order_id)))
    now, return_id = utc_now(), new_id()
    items = [{"productId": key[0], "variantSku": key[1], "quantity": quantity,
              "value": value_of(order, bought[key], quantity)} for key, quantity in matched]  # fmt: skip
    item = ProductReturn(
        pk=keys.return_(return_id), sk=keys.return_(return_id), return_id=return_id, order_id=order.order_id,
        customer_id=order.customer_id, store_id=order.store_id, store_owner_id=order.store_owner_id,
        currency=order.currency, items=items, reason=request.reason, status=REQUESTED,
        history=[order_status.history_entry(REQUESTED, principal.actor, request.reason)], created_at=now,
        updated_at=now,
    )  # fmt: skip
    store.list_keys(item)
    after = {"orderId": order.order_id, "items": items, "reason": request.reason}
    record = audit.build_record(principal.actor, "return.request", "return", return_id, after=after)
    try:
        store.write_request(item, {k: b.quantity for k, b in bought.items()}, record)
    except TransactionCancelled as cancelled:
        if not any(label.startswith("returned:") for label in cancelled.failed()):
            raise
        # another return took the units meanwhile: say what is left now
        check_quantities(matched, returnable(bought, store.read_returned(order_id)))
        raise Conflict("Another return of this order was requested meanwhile; retry.") from None
    return return_out(item)


# ---------------------------------------------------------------- moves


def move_return(principal: Principal, return_id: str, request: ReturnStatusIn) -> ReturnOut:
    """Move a return one step (see the module's doc); the store's owner or an admin."""
    item = _load(return_id)
    if not may_move(principal, item):
        raise NotFound("No such return.")
    target = request.status
    check_move(item.status, target)
    entry = order_status.history_entry(target, principal.actor, request.reason)
    actions = store.move_actions(item, target, entry, request.reason)
    after: dict[str, Any] = {"status": target, "reason": request.reason}
    order = amount = refund_id = None
    if target == REFUNDED:
        order = load_order(item.order_id)
        try:
            amount, refund_id = refund_value(item, order), new_id()
        except UnprocessableEntity:
            if _load(return_id).status != item.status:  # the order read after a racing refund of this return
                raise _moved_meanwhile(item) from None
            raise
        actions += [ProductReturn.refund_id.set(refund_id), ProductReturn.refunded_amount.set(amount)]
        after |= {"refundId": refund_id, "amount": amount}
    record = audit.build_record(principal.actor, "return.status", "return", return_id,
                                before={"status": item.status}, after=after)  # fmt: skip
    if order is not None and amount is not None and refund_id is not None:
        _refund(principal, item, order, amount, refund_id, store.move_writes(item, actions, record))
    elif target == RECEIVED:
        _receive(item, actions, record)
    else:
        _write(item, store.move_writes(item, actions, record, release=target == REJECTED))
    moved = _load(return_id)
    notifications.return_moved(moved)
    return return_out(moved)


def _moved_meanwhile(item: ProductReturn) -> InvalidState:
    now = _load(item.return_id)
    return InvalidState(f"This return is {now.status} now; it moved meanwhile.")


def _write(item: ProductReturn, writes: Callable[[WriteTransaction], None]) -> None:
    try:
        store.write_move(writes)
    except TransactionCancelled as cancelled:
        if store.RETURN_LABEL in cancelled.failed():
            raise _moved_meanwhile(item) from None
        raise


def _receive(item: ProductReturn, actions: list[Action], record: AuditRecord) -> None:
    """``received``: the return's move and its units back in stock, in one transaction (variants deleted
    since are skipped: nothing to restock)."""
    units = [(str(i["productId"]), str(i["variantSku"]), int(i["quantity"])) for i in item.items or []]
    gone: set[str] = set()

    def attempt() -> None:
        restock = [u for u in units if inventory.stock_label(u[0], u[1]) not in gone]
        try:
            store.write_move(store.move_writes(item, actions, record, restock=restock))
        except TransactionCancelled as cancelled:
            failed = set(cancelled.failed())
            if store.RETURN_LABEL in failed:
                raise _moved_meanwhile(item) from None
            if failed:  # only stock labels: those variants no longer exist
                gone.update(failed)
                logger.warning("return: variants gone, not restocked", extra={"labels": sorted(failed)})
                raise Retry from cancelled
            raise

    retry_on_contention(attempt, attempts=MAX_ATTEMPTS,
                        exhausted=lambda: Conflict("This return is busy right now; retry.",
                                                   headers={"Retry-After": "1"}))  # fmt: skip
    inventory.refresh_after_commit([u[0] for u in units])


def _refund(principal: Principal, item: ProductReturn, order: Order, amount: int, refund_id: str,
            writes: Callable[[WriteTransaction], None]) -> None:  # fmt: skip
    """``refunded``: the lines' value refunded to where it was paid, the move joined to the refund: once."""
    try:
        refunds.refund_order(principal.actor, order, refunds.order_payment(order), amount, to="original",
                             reason=f"return {item.return_id}"[:500], refund_id=refund_id, also=writes,
                             also_label=store.RETURN_LABEL)  # fmt: skip
    except TransactionCancelled as cancelled:
        if store.RETURN_LABEL in cancelled.failed():
            raise _moved_meanwhile(item) from None
        raise
    except (UpstreamError, ServiceUnavailable):
        # The provider refused the card refund and refunds compensated it: the return is received again.
        entry = order_status.history_entry(RECEIVED, principal.actor, "refund failed at the payment provider")
        try:
            store.undo_refunded(item, refund_id, entry)
        except Exception:
            logger.exception("return not moved back after its refund failed", extra={"return_id": item.return_id})
        raise
    except (UnprocessableEntity, InvalidState, Conflict):
        if _load(item.return_id).status != item.status:
            raise _moved_meanwhile(item) from None
        raise
