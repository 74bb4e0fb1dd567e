"""Reads of orders and their payments, the timelines that list them, and the status moves' transactions.

The lists are one Query per page on a timeline, newest first by default:

| timeline | index | partition |
|---|---|---|
| customer | gsi1 | ``USER#<id>#ORDERS`` (their orders) |
| seller | gsi2 | ``USER#<owner>#SALES`` (every order of an owner's stores; ``store``: a FilterExpression) |
| courier | gsi4 | ``USER#<id>#DELIVERIES`` (orders assigned to them) |
| all | gsi3 | ``ORDERS`` |

``from``/``to`` are a range on the timeline sort key (``to`` inclusive), ``status`` and
``store`` a FilterExpression (so a filtered page may come back short, with a cursor to go
on). The cursor is bound to its partition: another list's cursor is a 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pynamodb.exceptions import DoesNotExist

from souk.catalog.service import inventory
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.timeline import all_of, window
from souk.db.transactions import WriteTransaction
from souk.orders import keys
from souk.orders import status as order_status
from souk.orders.models import Order, move_actions
from souk.payments import keys as payments_keys
from souk.payments.models import Payment

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord
    from souk.caller import Actor
    from souk.orders.schemas import OrdersQuery

ORDER_LABEL = "order"
Timeline = Literal["customer", "seller", "courier", "all"]


def put_audit(tx: WriteTransaction, record: AuditRecord) -> None:
    tx.put(record, label=f"audit:{record.action}")


def read_order(order_id: str) -> Order | None:
    """The order (consistent GetItem), None when there is none."""
    try:
        return Order.get(keys.order(order_id), keys.order(order_id), consistent_read=True)
    except DoesNotExist:
        return None


def read_orders(order_ids: list[str]) -> list[Order]:
    """One BatchGetItem (consistent), in the order of ``order_ids`` (those that exist)."""
    if not order_ids:
        return []
    found = {o.order_id: o for o in Order.batch_get([(keys.order(i), keys.order(i)) for i in order_ids],
                                                    consistent_read=True)}  # fmt: skip
    return [found[i] for i in order_ids if i in found]


def read_payment(payment_id: str) -> Payment | None:
    """The payment (consistent GetItem), None when there is none."""
    try:
        return Payment.get(payments_keys.payment(payment_id), payments_keys.payment(payment_id), consistent_read=True)
    except DoesNotExist:
        return None


def _index(timeline: Timeline, user_id: str) -> tuple[Any, str, Any, str]:
    """(index, partition, sort key attribute, partition attribute name) of a timeline."""
    if timeline == "all":
        return Order.gsi3, keys.ORDERS_ALL, Order.gsi3sk, "gsi3pk"
    if timeline == "seller":
        return Order.gsi2, keys.seller_orders(user_id), Order.gsi2sk, "gsi2pk"
    if timeline == "courier":
        return Order.gsi4, keys.courier_orders(user_id), Order.gsi4sk, "gsi4pk"
    return Order.gsi1, keys.customer_orders(user_id), Order.gsi1sk, "gsi1pk"


def order_page(timeline: Timeline, user_id: str, query: OrdersQuery) -> tuple[list[Order], str | None]:
    """One page of ``user_id``'s timeline (see the module table) with the query's window and filters."""
    index, partition, sort_key, attribute = _index(timeline, user_id)
    start = decode_cursor_for(query.cursor, attribute, partition)
    conditions = all_of(Order.status == query.status if query.status else None,
                        Order.store_id == query.store if query.store else None)  # fmt: skip
    result = index.query(partition, window(sort_key, query), filter_condition=conditions,
                         scan_index_forward=query.order == "asc", page_size=query.limit,
                         last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Order, result)
    return [o for o in found if isinstance(o, Order)], encode_cursor(last_key)


def write_move(order: Order, target: str, actor: Actor, reason: str | None, record: AuditRecord,
               extras: Sequence[Callable[[WriteTransaction], None]] = (), order_actions: Sequence[Action] = ()
               ) -> None:  # fmt: skip
    """The order's status update (conditional on the status read, history appended, plus ``order_actions``:
    a joining domain's fields), its audit record and the ``extras``' items (a delivered order's commission
    dates, the delivery it creates or follows), in one transaction."""
    actions, condition = move_actions(order, target, actor, reason)
    with WriteTransaction() as tx:
        tx.update(order, [*actions, *order_actions], condition, label=ORDER_LABEL)
        for extra in extras:
            extra(tx)
        put_audit(tx, record)


def write_return(order: Order, actor: Actor, reason: str, record: AuditRecord,
                 extras: Sequence[Callable[[WriteTransaction], None]] = ()) -> None:  # fmt: skip
    """The order back to ``preparing`` (conditional on the status read, history appended with the reason),
    no longer anyone's delivery (``courierId`` and the courier's timeline entry removed), its audit record
    and the ``extras``' items (the failed delivery), in one transaction."""
    actions, condition = move_actions(order, order_status.RETURNED_TO, actor, reason)
    actions += [Order.courier_id.remove(), Order.gsi4pk.remove(), Order.gsi4sk.remove()]
    with WriteTransaction() as tx:
        tx.update(order, actions, condition, label=ORDER_LABEL)
        for extra in extras:
            extra(tx)
        put_audit(tx, record)


def write_cancel(order: Order, actor: Actor, reason: str | None, releases: dict[tuple[str, str], int],
                 gone: set[str], record: AuditRecord,
                 extras: Sequence[Callable[[WriteTransaction], None]] = ()) -> None:  # fmt: skip
    """The order → ``cancelled``, each line's stock released (but the ``gone`` variants') and the ``extras``'
    items (its loyalty points given back), in one transaction."""
    actions, condition = move_actions(order, "cancelled", actor, reason)
    with WriteTransaction() as tx:
        tx.update(order, actions, condition, label=ORDER_LABEL)
        for (product_id, sku), quantity in releases.items():
            if inventory.stock_label(product_id, sku) not in gone:
                inventory.release_stock(tx, product_id, sku, quantity)
        for extra in extras:
            extra(tx)
        put_audit(tx, record)
