"""Every read and write of carts and coupons: items built, conditional writes, transactions.

Carts: one GetItem for the cart (lines inside), one BatchGetItem for the catalog view that
prices it (:func:`load_view`), and a put on the version read with its audit record in one
transaction (:func:`save_cart`). Coupons: one item ``COUPON#<CODE>`` / ``COUPON`` and the
customers' :class:`CouponUse` counters beside it; checkout counts a use with
:func:`count_coupon_use` (conditional ADDs that need no read), cancel and expiry give it
back with :func:`release_coupon_use`. The cart's delivery estimate reads the customer's default
address (:func:`default_address_at`: one Query of their at most 20 addresses).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from souk.cart import keys
from souk.cart.models import COUPON_LABEL, COUPON_USE_LABEL, Cart, Coupon, CouponUse
from souk.cart.pricing import CatalogView, Offer
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Product, Store, Variant
from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.base import SoukItem, utc_now
from souk.db.expiry import stamp
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.transactions import Retry, TransactionCancelled, WriteTransaction
from souk.errors import DuplicateEntry
from souk.identity import keys as identity_keys
from souk.identity.models import Address

if TYPE_CHECKING:
    from pynamodb.indexes import GlobalSecondaryIndex

    from souk.audit.models import AuditRecord

GUEST_CART_DAYS = 30  # a guest cart's life after its last write
CART_LABEL = "cart"
GUEST_CART_LABEL = "guest-cart"
_RETRY_REASONS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


def _put_audit(tx: WriteTransaction, record: AuditRecord) -> None:
    tx.put(record, label=f"audit:{record.action}")


# ---------------------------------------------------------------- carts


def read_cart(cart_id: str) -> Cart | None:
    try:
        return Cart.get(keys.cart(cart_id), keys.CART, consistent_read=True)
    except DoesNotExist:
        return None


def new_cart(cart_id: str, user_id: str | None) -> Cart:
    """An unsaved empty cart (a customer's cart id is their user id; a guest's a new id)."""
    return Cart(pk=keys.cart(cart_id), sk=keys.CART, cart_id=cart_id, user_id=user_id, lines=[])


def _refresh_expiry(cart: Cart, now: datetime) -> None:
    until = now + timedelta(days=GUEST_CART_DAYS)
    index = expiry.index_keys(until, cart.pk)
    cart.expires_at = until
    cart.gsi4pk, cart.gsi4sk = index["gsi4pk"], index["gsi4sk"]


def insert_guest_cart(cart: Cart, record: AuditRecord, now: datetime) -> None:
    """Put a new guest cart (its expiry from ``now``) with its audit record; it must not exist."""
    cart.created_at = cart.updated_at = now
    _refresh_expiry(cart, now)
    with WriteTransaction() as tx:
        tx.put(cart, condition=Cart.pk.does_not_exist(), label=CART_LABEL)
        _put_audit(tx, record)


def save_cart(cart: Cart, record: AuditRecord, *, delete: Cart | None = None) -> None:
    """Put ``cart`` on the version it was read at (and delete ``delete``), with the audit record.

    A guest cart's expiry moves on with each write. :class:`Retry` when another write got
    there first (re-read and retry); other failures raise.
    """
    now = utc_now()
    cart.updated_at = now
    if cart.user_id is None:
        _refresh_expiry(cart, now)
    try:
        with WriteTransaction() as tx:
            tx.put(cart, label=CART_LABEL)
            if delete is not None:
                tx.delete(delete, label=GUEST_CART_LABEL)
            _put_audit(tx, record)
    except TransactionCancelled as cancelled:
        if set(cancelled.reasons.values()) & _RETRY_REASONS:
            raise Retry from cancelled
        raise


def load_offer(product_id: str, sku: str, store_id: str | None = None) -> Offer:
    """The product, its variant and its store in one BatchGetItem (the store read from the product if unknown)."""
    wanted = [
        (catalog_keys.product(product_id), catalog_keys.product(product_id)),
        (catalog_keys.product(product_id), catalog_keys.variant(sku)),
    ]
    if store_id is not None:
        wanted.append((catalog_keys.store(store_id), catalog_keys.store(store_id)))
    product = variant = store = None
    for item in SoukItem.batch_get(wanted):
        if isinstance(item, Product):
            product = item
        elif isinstance(item, Variant):
            variant = item
        elif isinstance(item, Store):
            store = item
    if store_id is None and product is not None:
        try:
            store = Store.get(catalog_keys.store(product.store_id), catalog_keys.store(product.store_id))
        except DoesNotExist:
            store = None
    return Offer(product, variant, store)


def load_view(cart: Cart, user_id: str | None, *, consistent: bool = False) -> CatalogView:
    """One BatchGetItem for everything :func:`souk.cart.pricing.price` needs."""
    wanted: list[tuple[str, str]] = []
    for line in cart.lines:
        wanted.append((catalog_keys.product(line["productId"]), catalog_keys.product(line["productId"])))
        wanted.append((catalog_keys.product(line["productId"]), catalog_keys.variant(line["sku"])))
        wanted.append((catalog_keys.store(line["storeId"]), catalog_keys.store(line["storeId"])))
    if cart.coupon_code:
        wanted.append((keys.coupon(cart.coupon_code), keys.COUPON))
        if user_id:
            wanted.append((keys.coupon(cart.coupon_code), keys.coupon_use(user_id)))
    view = CatalogView(products={}, variants={}, stores={}, coupon=None, coupon_uses=0)
    unique = list(dict.fromkeys(wanted))
    if not unique:
        return view
    for item in SoukItem.batch_get(unique, consistent_read=consistent):
        if isinstance(item, Product):
            view.products[item.product_id] = item
        elif isinstance(item, Variant):
            view.variants[(item.product_id, item.sku)] = item
        elif isinstance(item, Store):
            view.stores[item.store_id] = item
        elif isinstance(item, Coupon):
            view.coupon = item
        elif isinstance(item, CouponUse):
            view.coupon_uses = int(item.uses)
    return view


def default_address_at(user_id: str) -> tuple[float, float] | None:
    """The (lat, lng) of the user's default address, None without one: one Query of the user's
    addresses (at most 20, so one page) keeping the one flagged default."""
    found = Address.query(identity_keys.user(user_id), Address.sk.startswith(identity_keys.ADDRESS_PREFIX),
                          filter_condition=Address.is_default == True)  # noqa: E712  # fmt: skip
    for address in found:
        if address.lat is not None and address.lng is not None:
            return float(address.lat), float(address.lng)
    return None


# ---------------------------------------------------------------- coupons


def get_coupon(code: str, *, consistent: bool = False) -> Coupon | None:
    """The coupon with this code (any case), deleted ones included; None when there is none."""
    try:
        return Coupon.get(keys.coupon(code), keys.COUPON, consistent_read=consistent)
    except DoesNotExist:
        return None


def coupon_page(*, admin: bool, user_id: str, cursor: str | None, limit: int, status: str | None,
                store_id: str | None) -> tuple[list[Coupon], str | None]:  # fmt: skip
    """One Query, newest first: an admin's on every coupon (gsi2), a store owner's on those they created (gsi1).

    The ``store_id`` / ``status`` filters apply within the page, so it may come back short
    with a cursor to go on; without ``status``, deleted coupons are left out.
    """
    index: GlobalSecondaryIndex[Any]
    if admin:
        index, attribute, partition = Coupon.gsi2, "gsi2pk", keys.COUPONS_ALL
    else:
        index, attribute, partition = Coupon.gsi1, "gsi1pk", keys.coupons_by_owner(user_id)
    start = decode_cursor_for(cursor, attribute, partition)
    condition = Coupon.status == status if status else Coupon.status != "deleted"
    if store_id:
        condition &= Coupon.store_id == store_id
    result = index.query(partition, filter_condition=condition, scan_index_forward=False, page_size=limit,
                         last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Coupon, result)
    return [c for c in found if isinstance(c, Coupon)], encode_cursor(last_key)


def new_coupon(owner_id: str, code: str, now: datetime, **values: Any) -> Coupon:
    """An unsaved coupon, on its creator's timeline (gsi1) and the admins' (gsi2)."""
    return Coupon(pk=keys.coupon(code), sk=keys.COUPON, code=code, owner_id=owner_id, uses=0, status="active",
                  gsi1pk=keys.coupons_by_owner(owner_id), gsi1sk=db_keys.created_sort(stamp(now), code),
                  gsi2pk=keys.COUPONS_ALL, gsi2sk=db_keys.created_sort(stamp(now), code),
                  created_at=now, updated_at=now, **values)  # fmt: skip


def insert_coupon(coupon: Coupon, record: AuditRecord) -> None:
    """Put a new coupon with its audit record; its code is taken for good (409 DUPLICATE_ENTRY, even if deleted)."""
    try:
        with WriteTransaction() as tx:
            tx.put(coupon, Coupon.pk.does_not_exist(), label=COUPON_LABEL)
            _put_audit(tx, record)
    except TransactionCancelled as cancelled:
        if COUPON_LABEL in cancelled.failed():
            raise DuplicateEntry("A coupon with this code exists.") from None
        raise
    coupon.version = 1


def save_coupon(coupon: Coupon, record: AuditRecord) -> None:
    """Versioned save with its audit record; lost to a change since the coupon was read (checkouts
    counting uses), it is cancelled, and the service's retry reads the coupon again."""
    with WriteTransaction() as tx:
        tx.put(coupon, label=COUPON_LABEL)  # + the version condition
        _put_audit(tx, record)


def _coupon_key(code: str) -> Coupon:
    """The coupon's key only; ``version`` set so PynamoDB bumps it (ADD 1) instead of resetting it.

    The bump is what makes a PATCH that read the coupon before this use fail its versioned
    save (and re-read) rather than write back a stale ``uses``.
    """
    return Coupon(pk=keys.coupon(code), sk=keys.COUPON, version=0)


def _use_key(code: str, user_id: str) -> CouponUse:
    return CouponUse(pk=keys.coupon(code), sk=keys.coupon_use(user_id))


def count_coupon_use(tx: WriteTransaction, code: str, per_user_limit: int | None, user_id: str) -> None:
    """Add "count one use of ``code`` by ``user_id``" to ``tx``.

    Two updates: the coupon's ``uses`` ADD 1 on condition it is active and below
    ``maxUses`` (label :data:`COUPON_LABEL`), and the customer's :class:`CouponUse` upsert
    ADD 1 on condition it is below ``perUserLimit`` (label :data:`COUPON_USE_LABEL`).
    Neither conditions on a value read earlier, so concurrent checkouts never conflict
    unless a limit is really reached.
    """
    now = utc_now()
    limit = Coupon.status == "active"
    limit &= Coupon.max_uses.does_not_exist() | (Coupon.uses < Coupon.max_uses)
    tx.update(_coupon_key(code), [Coupon.uses.add(1), Coupon.updated_at.set(now)], limit,
              label=COUPON_LABEL, add_version_condition=False)  # fmt: skip
    per_user = None
    if per_user_limit is not None:
        per_user = CouponUse.uses.does_not_exist() | (CouponUse.uses < int(per_user_limit))
    tx.update(_use_key(code, user_id),
              [CouponUse.uses.add(1), CouponUse.entity.set(CouponUse), CouponUse.code.set(code),
               CouponUse.user_id.set(user_id), CouponUse.created_at.set(CouponUse.created_at | now),
               CouponUse.updated_at.set(now)], per_user, label=COUPON_USE_LABEL)  # fmt: skip


def release_coupon_use(tx: WriteTransaction, code: str, user_id: str) -> None:
    """Add "give back one use of ``code`` by ``user_id``" to ``tx``: ADD -1 on both counters, each above zero."""
    now = utc_now()
    tx.update(_coupon_key(code), [Coupon.uses.add(-1), Coupon.updated_at.set(now)], Coupon.uses > 0,
              label=COUPON_LABEL, add_version_condition=False)  # fmt: skip
    tx.update(_use_key(code, user_id), [CouponUse.uses.add(-1), CouponUse.updated_at.set(now)], CouponUse.uses > 0,
              label=COUPON_USE_LABEL)  # fmt: skip
