"""Cart writes under races, on DynamoDB Local: versioned puts never lose a line, a guest cart merges once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from souk.caller import Principal
from souk.cart import keys
from souk.cart.models import Cart
from souk.cart.schemas import AddItemRequest
from souk.cart.service import carts
from souk.catalog.schemas.categories import CreateCategoryRequest
from souk.catalog.schemas.products import CreateProductRequest
from souk.catalog.schemas.stores import CreateStoreRequest, StoreStatusRequest
from souk.catalog.service import categories, products, review, stores
from souk.errors import Conflict, NotFound
from souk.identity.schemas.sessions import Client
from souk.schema import PostalAddress

pytestmark = pytest.mark.integration

ADMIN = Principal(user_id="it-admin", role="admin", session_id=None)
OWNER = Principal(user_id="it-owner", role="store_owner", session_id=None)
CLIENT = Client(ip="127.0.0.1", user_agent="pytest")


def _products(count: int) -> list[str]:
    """``count`` products of one approved store, each with variant SKU-1 (100 in stock)."""
    category = categories.create_category(ADMIN, CreateCategoryRequest(name=f"C{uuid.uuid4().hex[:6]}"))
    address = PostalAddress(line1="1 Main St", city="Springfield", country="US", lat=40.0, lng=-73.0)
    store = stores.create_store(OWNER, CreateStoreRequest(name="Corner Shop", address=address,
                                                          category_ids=[category.category_id]))  # fmt: skip
    review.set_store_status(ADMIN, store.store_id, StoreStatusRequest(status="approved"))
    ids = []
    for index in range(count):
        request = CreateProductRequest(
            store_id=store.store_id, name=f"Item {index}", price={"amount": 100 + index, "currency": "usd"},
            category_id=category.category_id, variants=[{"sku": "SKU-1", "name": "One", "stock": 100}],
        )  # fmt: skip
        ids.append(products.create_product(OWNER, request).id)
    return ids


def _customer() -> carts.CartOwner:
    user_id = f"it-customer-{uuid.uuid4().hex[:8]}"
    return carts.CartOwner(user_id, Principal(user_id=user_id, role="customer", session_id=None), CLIENT)


def _guest() -> carts.CartOwner:
    created, _ = carts.create_guest_cart(CLIENT)
    return carts.CartOwner(created.cart_id, None, CLIENT)


def _add(owner: carts.CartOwner, product_id: str, quantity: int = 1) -> bool:
    try:
        carts.add_item(owner, AddItemRequest(product_id=product_id, variant_sku="SKU-1", quantity=quantity))
    except (Conflict, NotFound):
        return False
    return True


def _stored(cart_id: str) -> Cart | None:
    try:
        return Cart.get(keys.cart(cart_id), keys.CART, consistent_read=True)
    except Cart.DoesNotExist:
        return None


def test_parallel_adds_of_different_items_all_land(table: str) -> None:
    # GIVEN a customer with no cart yet and fewer writers than a write has tries
    owner = _customer()
    product_ids = _products(carts.MAX_WRITE_ATTEMPTS - 1)
    # WHEN they are added at once (the cart is created by whichever write wins)
    with ThreadPoolExecutor(max_workers=len(product_ids)) as pool:
        outcomes = list(pool.map(lambda pid: _add(owner, pid), product_ids))
    # THEN every add succeeded and every line is there once
    assert outcomes == [True] * len(product_ids)
    cart = _stored(owner.cart_id)
    assert cart is not None and sorted(line["productId"] for line in cart.lines) == sorted(product_ids)
    assert cart.version == len(product_ids)


def test_heavy_contention_never_loses_a_line(table: str) -> None:
    # GIVEN 12 writers on one cart, more than the retries can always absorb
    owner = _customer()
    product_ids = _products(12)
    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(lambda pid: _add(owner, pid), product_ids))
    # THEN what answered 200 is in the cart, what answered 409 CONFLICT is not: no lost update
    cart = _stored(owner.cart_id)
    assert cart is not None
    landed = sorted(pid for pid, ok in zip(product_ids, outcomes, strict=True) if ok)
    assert sorted(line["productId"] for line in cart.lines) == landed
    assert cart.version == len(landed) >= 1


def test_parallel_adds_of_the_same_item_sum_exactly(table: str) -> None:
    owner = _customer()
    (product_id,) = _products(1)
    writers = carts.MAX_WRITE_ATTEMPTS - 1
    with ThreadPoolExecutor(max_workers=writers) as pool:
        outcomes = list(pool.map(lambda _: _add(owner, product_id, 2), range(writers)))
    cart = _stored(owner.cart_id)
    assert cart is not None and len(cart.lines) == 1
    assert cart.lines[0]["quantity"] == 2 * outcomes.count(True) == 2 * writers


def test_a_guest_cart_merges_once(table: str) -> None:
    # GIVEN a guest cart with 3 of an item
    (product_id,) = _products(1)
    guest = _guest()
    assert _add(guest, product_id, 3)
    customer = _customer()
    assert customer.principal is not None
    parties = carts.MergeParties(customer.principal, guest.cart_id)

    def merge(_: int) -> bool:
        try:
            carts.merge_guest_cart(parties)
        except NotFound:
            return False
        return True

    # WHEN four merges of it race
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(merge, range(4)))
    # THEN one merged, the others found nothing, and the 3 were counted once
    assert outcomes.count(True) == 1
    cart = _stored(customer.cart_id)
    assert cart is not None and [line["quantity"] for line in cart.lines] == [3]
    assert _stored(guest.cart_id) is None


def test_a_guest_add_racing_the_merge_is_merged_or_refused_never_lost(table: str) -> None:
    product_ids = _products(2)
    for _ in range(5):
        # GIVEN a guest cart with one item, and a second being added while the customer merges
        guest = _guest()
        assert _add(guest, product_ids[0])
        customer = _customer()
        assert customer.principal is not None
        parties = carts.MergeParties(customer.principal, guest.cart_id)
        with ThreadPoolExecutor(max_workers=2) as pool:
            added = pool.submit(_add, guest, product_ids[1])
            merged = pool.submit(carts.merge_guest_cart, parties)
            merged.result()
            add_ok = added.result()
        # THEN the customer's cart holds the second item exactly when its add succeeded
        cart = _stored(customer.cart_id)
        assert cart is not None
        expected = [product_ids[0], product_ids[1]] if add_ok else [product_ids[0]]
        assert [line["productId"] for line in cart.lines] == expected
        assert _stored(guest.cart_id) is None
