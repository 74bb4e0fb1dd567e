"""Returns in the table: reads, the lists, and the transactions that request and move them.

| pattern | call |
|---|---|
| one return | :func:`read_return`: GetItem |
| an order's returned quantities | :func:`read_returned`: one Query of ``RETURNED#<orderId>`` |
| a customer's returns | :func:`return_page` on gsi1 ``USER#<id>#RETURNS`` |
| the returns of an owner's stores | :func:`return_page` on gsi2 ``USER#<owner>#STORE_RETURNS`` |
| every return | :func:`return_page` on gsi3 ``RETURNS`` |

The cap ("never more than bought minus asked back already") is a condition on each line's
:class:`ReturnedLine` counter in the request's transaction, not a read then a write: two requests
racing for the last units cannot both pass it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pynamodb.exceptions import DoesNotExist

from souk.catalog.service import inventory
from souk.db.base import utc_now
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.disputes import keys
from souk.disputes.models import ProductReturn, ReturnedLine

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord

RETURN_LABEL = "return"
Timeline = Literal["customer", "owner", "all"]


def line_label(product_id: str, sku: str) -> str:
    """The label of a line's counter in a request's transaction: a failed condition means too many asked."""
    return f"returned:{product_id}:{sku}"


def read_return(return_id: str) -> ProductReturn | None:
    try:
        return ProductReturn.get(keys.return_(return_id), keys.return_(return_id), consistent_read=True)
    except DoesNotExist:
        return None


def read_returned(order_id: str) -> dict[tuple[str, str], int]:
    """Units asked back per (productId, sku) by the order's returns not rejected: one Query (an order has at
    most a few hundred lines)."""
    found, _ = one_page(ReturnedLine, ReturnedLine.query(keys.returned(order_id), consistent_read=True))
    return {(r.product_id, r.sku): int(r.quantity or 0) for r in found if isinstance(r, ReturnedLine)}


def list_keys(item: ProductReturn) -> None:
    sort = keys.newest(item.created_at.isoformat(), item.return_id)
    item.gsi1pk, item.gsi1sk = keys.customer_returns(item.customer_id), sort
    item.gsi2pk, item.gsi2sk = keys.owner_returns(item.store_owner_id), sort
    item.gsi3pk, item.gsi3sk = keys.RETURNS_ALL, sort


def _line(order_id: str, product_id: str, sku: str) -> ReturnedLine:
    return ReturnedLine(pk=keys.returned(order_id), sk=keys.returned_line(product_id, sku))


def _count(tx: WriteTransaction, order_id: str, product_id: str, sku: str, delta: int, cap: int | None) -> None:
    """ADD ``delta`` to the line's counter; asking more (``cap``: bought) fails unless ``quantity <= cap - delta``."""
    item = _line(order_id, product_id, sku)
    actions: list[Action] = [ReturnedLine.quantity.add(delta), ReturnedLine.entity.set(ReturnedLine),
                             ReturnedLine.order_id.set(order_id), ReturnedLine.product_id.set(product_id),
                             ReturnedLine.sku.set(sku), ReturnedLine.updated_at.set(utc_now())]  # fmt: skip
    if cap is not None:
        condition = ReturnedLine.quantity.does_not_exist() | (ReturnedLine.quantity <= cap - delta)
    else:  # giving units back: never below zero
        condition = ReturnedLine.quantity >= -delta
    tx.update(item, actions, condition, label=line_label(product_id, sku))


def write_request(item: ProductReturn, bought: dict[tuple[str, str], int], record: AuditRecord) -> None:
    """The return, each line's counter raised on the condition it stays within what was bought (a failed
    :func:`line_label` means too many), and the audit record, in one transaction."""
    with WriteTransaction() as tx:
        tx.put(item, ProductReturn.pk.does_not_exist(), label=RETURN_LABEL)
        for line in item.items:
            key = (line["productId"], line["variantSku"])
            _count(tx, item.order_id, key[0], key[1], int(line["quantity"]), bought[key])
        tx.put(record, label=f"audit:{record.action}")


def move_actions(item: ProductReturn, target: str, entry: dict[str, Any], reason: str | None) -> list[Action]:
    actions: list[Action] = [ProductReturn.status.set(target), ProductReturn.updated_at.set(utc_now()),
                             ProductReturn.history.set(ProductReturn.history.append([entry]))]  # fmt: skip
    actions.append(ProductReturn.status_reason.set(reason) if reason else ProductReturn.status_reason.remove())
    return actions


def move_writes(item: ProductReturn, actions: list[Action], record: AuditRecord, *, release: bool = False,
                restock: Iterable[tuple[str, str, int]] = ()) -> Callable[[WriteTransaction], None]:  # fmt: skip
    """The return's move (conditional on the status read: of two racing moves one applies, the other fails on
    :data:`RETURN_LABEL`), its audit record, the quantities given back to the order's lines (``release``: a
    rejection) and the ``restock`` units put back on their variants (``received``): for a transaction of
    their own, or joined to a refund's reservation (``refunded``)."""

    def writes(tx: WriteTransaction) -> None:
        tx.update(item, actions, ProductReturn.status == item.status, label=RETURN_LABEL)
        if release:
            for line in item.items:
                _count(tx, item.order_id, line["productId"], line["variantSku"], -int(line["quantity"]), None)
        for product_id, sku, quantity in restock:
            inventory.release_stock(tx, product_id, sku, quantity)
        tx.put(record, label=f"audit:{record.action}")

    return writes


def write_move(writes: Callable[[WriteTransaction], None]) -> None:
    with WriteTransaction() as tx:
        writes(tx)


def undo_refunded(item: ProductReturn, refund_id: str, entry: dict[str, Any]) -> None:
    """A refund that failed at the payment provider (compensated by refunds): the return is ``received``
    again, conditional on that very refund."""
    actions: list[Action] = [ProductReturn.status.set("received"), ProductReturn.refund_id.remove(),
                             ProductReturn.refunded_amount.remove(), ProductReturn.updated_at.set(utc_now()),
                             ProductReturn.history.set(ProductReturn.history.append([entry]))]  # fmt: skip
    item.update(actions, condition=ProductReturn.refund_id == refund_id)


def _index(timeline: Timeline, user_id: str) -> tuple[Any, str, str]:
    if timeline == "customer":
        return ProductReturn.gsi1, keys.customer_returns(user_id), "gsi1pk"
    if timeline == "owner":
        return ProductReturn.gsi2, keys.owner_returns(user_id), "gsi2pk"
    return ProductReturn.gsi3, keys.RETURNS_ALL, "gsi3pk"


def partition(timeline: Timeline, user_id: str) -> tuple[str, str]:
    _, part, attribute = _index(timeline, user_id)
    return part, attribute


def return_page(timeline: Timeline, user_id: str, status: str | None, *, limit: int,
                start: dict[str, Any] | None) -> tuple[list[ProductReturn], dict[str, Any] | None]:  # fmt: skip
    """One Query of a list, newest first."""
    index, part, _ = _index(timeline, user_id)
    result = index.query(part, filter_condition=(ProductReturn.status == status) if status else None,
                         scan_index_forward=False, page_size=limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(ProductReturn, result)
    return [r for r in found if isinstance(r, ProductReturn)], last_key
