"""Inventory: stock per variant, adjustments with a movement ledger, the low-stock list.

Stock lives on the variant item. An adjustment is one WriteTransaction: the variant's
stock set on the condition that it still holds the value we read (so it never goes below
zero and every movement's ``stockAfter`` is exact), the :class:`StockMovement`, the audit
record and, only when the variant's stock crosses zero, the product (``inStock``, and its
version, which serializes crossings of sibling variants) and its listing entries. A lost
race re-reads and retries, a bounded number of times.

The low-stock list is the sparse gsi2 ``LOWSTOCK#<store>``: a variant carries the key
while its stock is at or below its threshold. Going below the threshold sends the owner
one email; ``lowStockNotified`` remembers it until stock rises above the threshold again.

Checkout reserves and releases stock with :func:`reserve_stock` / :func:`release_stock`,
actions added to its own transaction, then calls :func:`refresh_stock_flags` per product.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.catalog import products, search, stores
from souk.catalog.models import ListingEntry, Product, StockMovement, Variant
from souk.catalog.products import MAX_STOCK, StockStatus, stock_status
from souk.db import keys
from souk.db.base import utc_now
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.transactions import WriteTransaction, retry_on_contention
from souk.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from souk.identity.lookup import get_user
from souk.ids import new_id
from souk.notify.exceptions import NotificationError
from souk.notify.queue import enqueue_email
from souk.observability import logger
from souk.schema import DEFAULT_LIMIT, MAX_LIMIT, CamelModel, NonBlankText, OneLineText

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.caller import Principal

MAX_ATTEMPTS = 25  # lost races retried; each loss means another adjustment of the same variant went through
_RETRYABLE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


# ---------------------------------------------------------------- schemas


class AdjustmentRequest(CamelModel):
    variant_sku: OneLineText = Field(min_length=1, max_length=64)
    delta: int = Field(ge=-MAX_STOCK, le=MAX_STOCK, strict=True, description="Units added (>0) or removed (<0).")
    reason: NonBlankText = Field(min_length=1, max_length=200, examples=["restock", "damaged", "stocktake"])

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value


class MovementOut(CamelModel):
    id: str
    variant_sku: str
    delta: int
    reason: str
    stock_after: int
    actor_id: str
    created_at: datetime


class VariantStock(CamelModel):
    sku: str
    name: str
    stock: int
    low_stock_threshold: int
    stock_status: StockStatus


class InventoryOut(CamelModel):
    product_id: str
    in_stock: bool
    variants: list[VariantStock]
    movements: list[MovementOut] = Field(description="Newest first.")
    movements_next_cursor: str | None = Field(description="Send as `cursor` for older movements.")


class AdjustmentOut(CamelModel):
    product_id: str
    variant: VariantStock
    movement: MovementOut


class LowStockItem(CamelModel):
    product_id: str
    product_name: str | None
    variant_sku: str
    variant_name: str
    stock: int
    low_stock_threshold: int


class InventoryQuery(CamelModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Movements per page.")
    cursor: str | None = Field(None, max_length=2048)


# ---------------------------------------------------------------- shaping


def _variant_stock(variant: Variant) -> VariantStock:
    stock, threshold = int(variant.stock), int(variant.low_stock_threshold)
    return VariantStock(sku=variant.sku, name=variant.name, stock=stock, low_stock_threshold=threshold,
                        stock_status=stock_status(stock, threshold))  # fmt: skip


def _movement_out(movement: StockMovement) -> MovementOut:
    return MovementOut(id=movement.movement_id, variant_sku=movement.sku, delta=int(movement.delta),
                       reason=movement.reason, stock_after=int(movement.stock_after), actor_id=movement.actor_id,
                       created_at=movement.created_at)  # fmt: skip


# ---------------------------------------------------------------- reading


def get_inventory(principal: Principal, product_id: str, query: InventoryQuery) -> InventoryOut:
    """Stock per variant (one Query) and a page of movements, newest first (one Query)."""
    product, variants = products.load_owned(principal, product_id)
    start = decode_cursor_for(query.cursor, "pk", keys.product(product_id))
    result = StockMovement.query(keys.product(product_id), StockMovement.sk.startswith(keys.MOVEMENT_PREFIX),
                                 scan_index_forward=False, page_size=query.limit, last_evaluated_key=start)  # fmt: skip
    movements, last_key = one_page(StockMovement, result)
    return InventoryOut(
        product_id=product_id, in_stock=bool(product.in_stock),
        variants=[_variant_stock(v) for v in sorted(variants, key=lambda v: v.sku)],
        movements=[_movement_out(m) for m in movements if isinstance(m, StockMovement)],
        movements_next_cursor=encode_cursor(last_key),
    )  # fmt: skip


def low_stock(principal: Principal, store_id: str, *, limit: int, cursor: str | None
              ) -> tuple[list[LowStockItem], str | None]:  # fmt: skip
    """Variants at or below their threshold in one of the caller's stores.

    GetItem (the store, for ownership), one Query on the sparse gsi2, one BatchGetItem
    for the product names of the page.
    """
    store = stores.get_store(store_id)
    ensure_owner(principal, store.owner_id)
    start = decode_cursor_for(cursor, "gsi2pk", keys.low_stock(store_id))
    result = Variant.gsi2.query(keys.low_stock(store_id), page_size=limit, last_evaluated_key=start)
    found, last_key = one_page(Variant, result)
    variants = [v for v in found if isinstance(v, Variant)]
    ids = list(dict.fromkeys(v.product_id for v in variants))
    names = {p.product_id: p.name for p in Product.batch_get([(keys.product(i), keys.product(i)) for i in ids])}
    items = [LowStockItem(product_id=v.product_id, product_name=names.get(v.product_id), variant_sku=v.sku,
                          variant_name=v.name, stock=int(v.stock), low_stock_threshold=int(v.low_stock_threshold))
             for v in variants]  # fmt: skip
    return items, encode_cursor(last_key)


# ---------------------------------------------------------------- adjusting


def _low_stock_actions(variant: Variant, new_stock: int, *, falling: bool) -> tuple[list[Action], bool]:
    """Keep the sparse low-stock key and the notified flag in line with ``new_stock``.

    Returns the actions and whether this change is the one that should email the owner:
    stock falling to or below the threshold while the owner has not been told yet.
    """
    threshold = int(variant.low_stock_threshold)
    if new_stock > threshold:
        return [Variant.gsi2pk.remove(), Variant.gsi2sk.remove(), Variant.low_stock_notified.set(False)], False
    actions: list[Action] = [Variant.gsi2pk.set(keys.low_stock(variant.store_id)),
                             Variant.gsi2sk.set(keys.low_stock_sort(variant.product_id, variant.sku))]  # fmt: skip
    notify = falling and not variant.low_stock_notified
    if notify:
        actions.append(Variant.low_stock_notified.set(True))
    return actions, notify


def _in_stock_changes(tx: WriteTransaction, product: Product, variants: list[Variant], changed: Variant,
                      new_stock: int) -> bool | None:  # fmt: skip
    """When ``changed`` crosses zero: the product update (and listing entries if ``inStock`` flips).

    The product update happens on every crossing, flip or not: its version condition makes
    two siblings crossing at once serialize, so the last one sees the other's stock.
    Returns the product's new ``inStock`` when it flips, else None.
    """
    if (int(changed.stock) > 0) == (new_stock > 0):
        return None
    now_in_stock = new_stock > 0 or any(int(v.stock) > 0 for v in variants if v.sku != changed.sku)
    flips = now_in_stock != bool(product.in_stock)
    tx.update(product, [Product.in_stock.set(now_in_stock), Product.updated_at.set(utc_now())], label="product")
    if flips:
        _set_listing_in_stock(tx, product, now_in_stock)
    return now_in_stock if flips else None


def _set_listing_in_stock(tx: WriteTransaction, product: Product, in_stock: bool) -> None:
    """``inStock`` on every listing entry of the product (at most 17, see souk.catalog.products)."""
    for facet in product.listing_facets or []:
        entry = ListingEntry(pk=facet, sk=keys.product(product.product_id))
        tx.update(entry, [ListingEntry.in_stock.set(in_stock)], ListingEntry.pk.exists(), label=f"list:{facet}")


def _find(variants: list[Variant], sku: str) -> Variant:
    for variant in variants:
        if variant.sku == sku:
            return variant
    raise ValidationFailed.field("variantSku", "The product has no variant with this SKU.")


def adjust_stock(principal: Principal, product_id: str, request: AdjustmentRequest) -> AdjustmentOut:
    """Add or remove stock; 409 INSUFFICIENT_STOCK rather than going below zero.

    Raises
    ------
    NotFound
        Not the caller's product, or deleted.
    ValidationFailed
        Unknown SKU, or stock would exceed the maximum.
    InsufficientStock
        Fewer units in stock than ``-delta`` (``data.available`` says how many).
    Conflict
        The variant kept changing under us for :data:`MAX_ATTEMPTS` tries.
    """

    def attempt() -> AdjustmentOut:
        product, variants = products.load_owned(principal, product_id, consistent=True)
        variant = _find(variants, request.variant_sku)
        old = int(variant.stock)
        new = old + request.delta
        if new < 0:
            raise InsufficientStock(f"Only {old} in stock.", data={"available": old})
        if new > MAX_STOCK:
            raise ValidationFailed.field("delta", f"Stock would exceed {MAX_STOCK}.")
        now = utc_now()
        movement_id = new_id()
        movement = StockMovement(pk=keys.product(product_id), sk=keys.movement(movement_id), movement_id=movement_id,
                                 sku=variant.sku, delta=request.delta, reason=request.reason, stock_after=new,
                                 actor_id=principal.user_id, created_at=now, updated_at=now)  # fmt: skip
        flags, notify = _low_stock_actions(variant, new, falling=request.delta < 0)
        with WriteTransaction() as tx:
            tx.update(variant, [Variant.stock.set(new), Variant.updated_at.set(now), *flags],
                      Variant.stock == old, label=f"stock:{variant.sku}")  # fmt: skip
            tx.put(movement, StockMovement.pk.does_not_exist(), label="movement")
            flipped = _in_stock_changes(tx, product, variants, variant, new)
            audit.record(principal.actor, "inventory.adjust", "product", product_id, tx=tx,
                         before={"sku": variant.sku, "stock": old},
                         after={"sku": variant.sku, "stock": new, "delta": request.delta,
                                "reason": request.reason})  # fmt: skip
        variant.stock, variant.updated_at = new, now
        if flipped is not None:
            product.in_stock = flipped
            _refresh_search(product)
        if notify:
            _email_low_stock(product, variant, movement_id)
        return AdjustmentOut(product_id=product_id, variant=_variant_stock(variant), movement=_movement_out(movement))

    return retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        retry_on=_RETRYABLE,
        exhausted=lambda: Conflict("The stock of this variant is changing too fast; retry."),
    )


def _refresh_search(product: Product) -> None:
    """Search entries carry ``inStock`` too; rewritten after the flip (see souk.catalog.products)."""
    try:
        products.write_search_entries(search.product_entries(product), [])
    except Exception:
        logger.exception("search index not updated; run reindex_product", extra={"product_id": product.product_id})


def _email_low_stock(product: Product, variant: Variant, movement_id: str) -> None:
    """Best effort after the commit: the adjustment stands even if the email cannot be queued."""
    try:
        owner = get_user(product.owner_id)
        store = stores.get_store(product.store_id)
        variables: dict[str, object] = {"product_name": product.name, "variant_sku": variant.sku,
                                        "store_name": store.name, "stock": int(variant.stock),
                                        "threshold": int(variant.low_stock_threshold)}  # fmt: skip
        enqueue_email("low_stock", owner.email, variables,
                      idempotency_id=f"low-stock:{product.product_id}:{variant.sku}:{movement_id}")  # fmt: skip
    except (NotFound, NotificationError) as exc:
        logger.warning("low stock email not queued", extra={"product_id": product.product_id,
                                                             "error_type": type(exc).__name__})  # fmt: skip


# ---------------------------------------------------------------- building blocks for checkout


def stock_label(product_id: str, sku: str) -> str:
    """The transaction label of a reservation: a ``ConditionalCheckFailed`` on it means not enough stock."""
    return f"stock:{product_id}:{sku}"


def _variant_key(product_id: str, sku: str) -> Variant:
    return Variant(pk=keys.product(product_id), sk=keys.variant(sku))


def reserve_stock(tx: WriteTransaction, product_id: str, sku: str, quantity: int) -> str:
    """Add "take ``quantity`` units" to ``tx``: refused (not partially applied) below zero.

    The condition is ``stock >= quantity`` rather than a value we read, so concurrent
    checkouts never conflict with each other unless the stock really runs out. Map a
    cancellation whose :func:`stock_label` failed to 409 INSUFFICIENT_STOCK. Returns the label.
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    label = stock_label(product_id, sku)
    tx.update(_variant_key(product_id, sku), [Variant.stock.add(-quantity), Variant.updated_at.set(utc_now())],
              (Variant.stock >= quantity), label=label)  # fmt: skip
    return label


def release_stock(tx: WriteTransaction, product_id: str, sku: str, quantity: int) -> str:
    """Add "give back ``quantity`` units" to ``tx`` (order cancelled, reservation expired)."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    label = stock_label(product_id, sku)
    tx.update(_variant_key(product_id, sku), [Variant.stock.add(quantity), Variant.updated_at.set(utc_now())],
              Variant.pk.exists(), label=label)  # fmt: skip
    return label


def refresh_stock_flags(product_id: str) -> None:
    """After reservations or releases: bring ``inStock``, listing entries and the low-stock index in line.

    Idempotent; each variant's change is conditioned on the stock we read, so a concurrent
    reservation makes it retry rather than write a stale flag. No email here: checkout
    stock-outs are reported by the low-stock list, not one email per order.
    """

    def attempt() -> None:
        product, variants = products.load(product_id, consistent=True)
        if product.status == "deleted":
            return
        in_stock = any(int(v.stock) > 0 for v in variants)
        with WriteTransaction() as tx:
            for variant in variants:
                stock = int(variant.stock)
                if (stock <= int(variant.low_stock_threshold)) == bool(variant.gsi2pk):
                    continue
                flags, _ = _low_stock_actions(variant, stock, falling=False)
                tx.update(variant, flags, Variant.stock == stock, label=f"stock:{variant.sku}")
            if in_stock != bool(product.in_stock):
                tx.update(product, [Product.in_stock.set(in_stock)], label="product")
                _set_listing_in_stock(tx, product, in_stock)
        if in_stock != bool(product.in_stock):
            product.in_stock = in_stock
            _refresh_search(product)

    retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        retry_on=_RETRYABLE,
        exhausted=lambda: Conflict("The stock of this product is changing too fast; retry."),
    )


def refresh_after_commit(product_ids: list[str]) -> None:
    """Best effort after a checkout, cancel or expiry committed: listings catch up with the stock.

    The write that moved the stock stands whatever happens here; a failure is logged and the
    next change of that product's stock brings its flags in line again.
    """
    for product_id in dict.fromkeys(product_ids):
        try:
            refresh_stock_flags(product_id)
        except Exception:
            logger.exception("stock flags not refreshed", extra={"product_id": product_id})
