"""Stock in the table: the movement ledger, the low-stock index, and the writes that move stock.

Stock lives on the variant item. An adjustment is one WriteTransaction: the variant's
stock set on the condition that it still holds the value read (so it never goes below
zero and every movement's ``stockAfter`` is exact), the :class:`StockMovement`, the audit
record and, only when the variant's stock crosses zero, the product (``inStock``, and its
version, which serializes crossings of sibling variants) and its listing entries.

The low-stock list is the sparse gsi2 ``LOWSTOCK#<store>``: a variant carries the key
while its stock is at or below its threshold; ``lowStockNotified`` remembers that the
owner was emailed until stock rises above the threshold again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.catalog import keys
from souk.catalog.models import ListingEntry, Product, StockMovement, Variant
from souk.db.base import utc_now
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.transactions import WriteTransaction
from souk.ids import new_id

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord


# ---------------------------------------------------------------- reading


def movements_page(product_id: str, *, limit: int, cursor: str | None) -> tuple[list[StockMovement], str | None]:
    """A page of the product's stock movements, newest first (one Query), and the cursor of the next."""
    start = decode_cursor_for(cursor, "pk", keys.product(product_id))
    result = StockMovement.query(keys.product(product_id), StockMovement.sk.startswith(keys.MOVEMENT_PREFIX),
                                 scan_index_forward=False, page_size=limit, last_evaluated_key=start)  # fmt: skip
    movements, last_key = one_page(StockMovement, result)
    return [m for m in movements if isinstance(m, StockMovement)], encode_cursor(last_key)


def low_stock_page(store_id: str, *, limit: int, cursor: str | None
                   ) -> tuple[list[Variant], dict[str, str], str | None]:  # fmt: skip
    """A page of the store's variants at or below their threshold (one Query on the sparse gsi2),
    their products' names (one BatchGetItem) and the cursor of the next page."""
    start = decode_cursor_for(cursor, "gsi2pk", keys.low_stock(store_id))
    result = Variant.gsi2.query(keys.low_stock(store_id), page_size=limit, last_evaluated_key=start)
    found, last_key = one_page(Variant, result)
    variants = [v for v in found if isinstance(v, Variant)]
    ids = list(dict.fromkeys(v.product_id for v in variants))
    names = {p.product_id: p.name for p in Product.batch_get([(keys.product(i), keys.product(i)) for i in ids])}
    return variants, names, encode_cursor(last_key)


# ---------------------------------------------------------------- building


def new_movement(product_id: str, sku: str, *, delta: int, reason: str, stock_after: int,
                 actor_id: str) -> StockMovement:  # fmt: skip
    now = utc_now()
    movement_id = new_id()
    return StockMovement(pk=keys.product(product_id), sk=keys.movement(movement_id), movement_id=movement_id,
                         sku=sku, delta=delta, reason=reason, stock_after=stock_after,
                         actor_id=actor_id, created_at=now, updated_at=now)  # fmt: skip


def _low_stock_actions(variant: Variant, new_stock: int, *, notify: bool) -> list[Action]:
    """Keep the sparse low-stock key and the notified flag in line with ``new_stock``.

    ``notify``: this change is the one that emails the owner, remembered on the variant.
    """
    threshold = int(variant.low_stock_threshold)
    if new_stock > threshold:
        return [Variant.gsi2pk.remove(), Variant.gsi2sk.remove(), Variant.low_stock_notified.set(False)]
    actions: list[Action] = [Variant.gsi2pk.set(keys.low_stock(variant.store_id)),
                             Variant.gsi2sk.set(keys.low_stock_sort(variant.product_id, variant.sku))]  # fmt: skip
    if notify:
        actions.append(Variant.low_stock_notified.set(True))
    return actions


def _set_listing_in_stock(tx: WriteTransaction, product: Product, in_stock: bool) -> None:
    """``inStock`` on every listing entry of the product (at most 17, see souk.catalog.store.products)."""
    for facet in product.listing_facets or []:
        entry = ListingEntry(pk=facet, sk=keys.product(product.product_id))
        tx.update(entry, [ListingEntry.in_stock.set(in_stock)], ListingEntry.pk.exists(), label=f"list:{facet}")


# ---------------------------------------------------------------- writing


def save_adjustment(product: Product, variant: Variant, movement: StockMovement, *, old_stock: int,
                    notify: bool, in_stock: bool | None, record: AuditRecord) -> None:  # fmt: skip
    """One adjustment, atomically: the variant's stock (on the condition it still holds ``old_stock``),
    its low-stock flags, the movement, the audit record and, when ``in_stock`` is given (the
    variant crossed zero), the product and, if its ``inStock`` flips, its listing entries.

    A lost race raises :class:`~souk.db.transactions.TransactionCancelled` (to retry).
    """
    new_stock = int(movement.stock_after)
    flags = _low_stock_actions(variant, new_stock, notify=notify)
    with WriteTransaction() as tx:
        tx.update(variant, [Variant.stock.set(new_stock), Variant.updated_at.set(movement.created_at), *flags],
                  Variant.stock == old_stock, label=f"stock:{variant.sku}")  # fmt: skip
        tx.put(movement, StockMovement.pk.does_not_exist(), label="movement")
        if in_stock is not None:
            # On every crossing, flip or not: the product's version serializes sibling crossings.
            tx.update(product, [Product.in_stock.set(in_stock), Product.updated_at.set(utc_now())], label="product")
            if in_stock != bool(product.in_stock):
                _set_listing_in_stock(tx, product, in_stock)
        tx.put(record, label=f"audit:{record.action}")


def save_stock_flags(product: Product, stale: list[Variant], in_stock: bool) -> None:
    """Bring the low-stock index of ``stale`` variants and the product's ``inStock`` (with its listing
    entries) in line with the stock read, each variant conditioned on that stock."""
    with WriteTransaction() as tx:
        for variant in stale:
            stock = int(variant.stock)
            flags = _low_stock_actions(variant, stock, notify=False)
            tx.update(variant, flags, Variant.stock == stock, label=f"stock:{variant.sku}")
        if in_stock != bool(product.in_stock):
            tx.update(product, [Product.in_stock.set(in_stock)], label="product")
            _set_listing_in_stock(tx, product, in_stock)


def _variant_key(product_id: str, sku: str) -> Variant:
    return Variant(pk=keys.product(product_id), sk=keys.variant(sku))


def take_stock(tx: WriteTransaction, product_id: str, sku: str, quantity: int, *, label: str) -> None:
    """Add "take ``quantity`` units" to ``tx``, on the condition ``stock >= quantity`` (never below zero)."""
    tx.update(_variant_key(product_id, sku), [Variant.stock.add(-quantity), Variant.updated_at.set(utc_now())],
              (Variant.stock >= quantity), label=label)  # fmt: skip


def give_back_stock(tx: WriteTransaction, product_id: str, sku: str, quantity: int, *, label: str) -> None:
    """Add "give back ``quantity`` units" to ``tx``, on the condition the variant exists."""
    tx.update(_variant_key(product_id, sku), [Variant.stock.add(quantity), Variant.updated_at.set(utc_now())],
              Variant.pk.exists(), label=label)  # fmt: skip
