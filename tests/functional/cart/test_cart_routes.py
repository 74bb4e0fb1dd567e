"""Cart routes: guest and customer carts, lines, stock checks, coupons, merge, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.cart import keys as cart_keys
from souk.cart.models import MAX_LINES, Cart, Coupon
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Product, Store, Variant
from souk.identity.jwt_tokens import issue_purpose_token
from souk.jobs import service as cleanup
from tests.commerce_factories import make_cart
from tests.factories import create_user, token_for
from tests.functional.catalog_helpers import count_dynamodb_calls
from tests.functional.product_support import Seller, make_seller
from tests.support import ApiClient, assert_error

Auth = dict[str, Any]


def _guest(api: ApiClient) -> tuple[str, Auth]:
    response = api.post("/api/v1/cart")
    assert response.status == 201, response.body
    data = response.json["data"]
    return data["cartId"], {"headers": {"X-Cart-Token": data["cartToken"]}}


def _customer(role: str = "customer") -> tuple[str, Auth]:
    user = create_user(role)
    return user.user_id, {"token": token_for(user)}


def _add(api: ApiClient, auth: Auth, product_id: str, sku: str = "TRS-42", quantity: int = 1) -> Any:
    return api.post("/api/v1/cart/items", json_body={"productId": product_id, "variantSku": sku, "quantity": quantity},
                    **auth)  # fmt: skip


def _stored(cart_id: str) -> Cart | None:
    try:
        return Cart.get(cart_keys.cart(cart_id), cart_keys.CART, consistent_read=True)
    except Cart.DoesNotExist:
        return None


def _audit_actions(cart_id: str) -> list[str]:
    return [r.action for r in AuditRecord.gsi2.query(audit_keys.audit_resource("cart", cart_id))]


def _coupon(code: str, **fields: Any) -> Coupon:
    values: dict[str, Any] = {"type": "percent", "value": 10, **fields}
    coupon = Coupon(pk=cart_keys.coupon(code), sk=cart_keys.COUPON, code=code, owner_id="test-admin", **values)
    coupon.save()
    return coupon


@pytest.fixture
def seller(api: ApiClient) -> Seller:
    return make_seller()


@pytest.fixture
def shoes(api: ApiClient, seller: Seller) -> dict[str, Any]:
    """Trail Running Shoes at 5999: TRS-42 (10 in stock), TRS-43 (3 in stock, 6499)."""
    return seller.create(api)


# --- POST /cart


def test_create_guest_cart_returns_a_token_and_stores_an_expiring_cart(api: ApiClient) -> None:
    # WHEN a guest creates a cart
    response = api.post("/api/v1/cart")
    # THEN 201 with the id, a token and the rate-limit headers
    assert response.status == 201, response.body
    data = response.json["data"]
    assert data["cartId"] and data["cartToken"] and data["expiresAt"]
    assert response.headers["X-RateLimit-Limit"] == "30" and response.headers["X-RateLimit-Remaining"] == "29"
    # AND an empty guest cart with a TTL and an expiry index entry about 30 days out
    cart = _stored(data["cartId"])
    assert cart is not None and cart.user_id is None and cart.lines == []
    assert cart.expires_at is not None and timedelta(days=29) < cart.expires_at - datetime.now(UTC) <= timedelta(
        days=30
    )
    assert cart.gsi4pk and cart.gsi4pk.startswith("EXPIRES#")
    assert _audit_actions(data["cartId"]) == ["cart.create"]


def test_guest_cart_creation_is_rate_limited_per_ip(api: ApiClient) -> None:
    # GIVEN 30 carts created from one address within a minute
    for _ in range(30):
        assert api.post("/api/v1/cart").status == 201
    # WHEN a 31st is asked for
    response = api.post("/api/v1/cart")
    # THEN 429 with Retry-After
    assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert int(response.headers["Retry-After"]) >= 1


# --- GET /cart and whose cart


def test_get_guest_cart_empty(api: ApiClient) -> None:
    cart_id, guest = _guest(api)
    data = api.get("/api/v1/cart", **guest).json["data"]
    assert data == {"id": cart_id, "guest": True, "lines": [], "stores": [], "coupon": None, "totals": [],
                    "itemCount": 0, "canCheckout": False}  # fmt: skip


def test_get_missing_customer_cart_is_empty_and_writes_nothing(api: ApiClient) -> None:
    # GIVEN a customer who never used the cart
    user_id, auth = _customer()
    # WHEN they read it
    response = api.get("/api/v1/cart", **auth)
    # THEN an empty cart with their id, and nothing was stored
    assert response.status == 200, response.body
    assert response.json["data"]["id"] == user_id and response.json["data"]["guest"] is False
    assert _stored(user_id) is None


def test_cart_auth_errors(api: ApiClient) -> None:
    # GIVEN a guest cart that was then deleted
    cart_id, guest = _guest(api)
    Cart(pk=cart_keys.cart(cart_id), sk=cart_keys.CART).delete(add_version_condition=False)
    other_purpose = issue_purpose_token("mfa", cart_id, 60)
    # THEN no credentials → 401, bad or wrong-purpose tokens → 401 INVALID_TOKEN, a gone cart → 404
    assert_error(api.get("/api/v1/cart"), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/v1/cart", headers={"X-Cart-Token": "nope"}), 401, "INVALID_TOKEN")
    assert_error(api.get("/api/v1/cart", headers={"X-Cart-Token": other_purpose}), 401, "INVALID_TOKEN")
    assert_error(api.get("/api/v1/cart", **guest), 404, "NOT_FOUND")
    assert_error(api.post("/api/v1/cart/items", json_body={"productId": "p", "variantSku": "s", "quantity": 1}), 401,
                 "UNAUTHORIZED")  # fmt: skip
    assert_error(api.patch("/api/v1/cart/items/x", json_body={"quantity": 1}), 401, "UNAUTHORIZED")
    assert_error(api.delete("/api/v1/cart/items/x"), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/v1/cart/coupon", json_body={"code": "ABC"}), 401, "UNAUTHORIZED")
    assert_error(api.delete("/api/v1/cart/coupon"), 401, "UNAUTHORIZED")


def test_every_role_has_its_own_cart(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a store owner and a courier (any signed-in role may shop)
    for role in ("store_owner", "courier", "admin"):
        user_id, auth = _customer(role)
        # WHEN they add an item
        response = _add(api, auth, shoes["id"])
        # THEN it lands in the cart whose id is their user id
        assert response.status == 200, response.body
        stored = _stored(user_id)
        assert stored is not None and stored.user_id == user_id and stored.gsi4pk is None and stored.expires_at is None


def test_get_prices_from_the_current_catalog(api: ApiClient, seller: Seller, shoes: dict[str, Any]) -> None:
    # GIVEN a cart with 2 x TRS-42 (5999) and 2 x TRS-43 (6499)
    cart_id, guest = _guest(api)
    _add(api, guest, shoes["id"], "TRS-42", 2)
    _add(api, guest, shoes["id"], "TRS-43", 2)
    # WHEN the price of TRS-42 changes and TRS-43's stock falls to 1
    pk = catalog_keys.product(shoes["id"])
    Variant.get(pk, catalog_keys.variant("TRS-42")).update(actions=[Variant.price_amount.set(4999)])
    Variant.get(pk, catalog_keys.variant("TRS-43")).update(actions=[Variant.stock.set(1)])
    data = api.get("/api/v1/cart", **guest).json["data"]
    # THEN the lines show the new price against the seen one, and the stock problem
    first, second = data["lines"]
    assert (first["unitPrice"], first["seenPrice"], first["priceChanged"], first["lineTotal"]) == (
        {"amount": 4999, "currency": "usd"}, {"amount": 5999, "currency": "usd"}, True,
        {"amount": 9998, "currency": "usd"})  # fmt: skip
    assert (first["name"], first["variantName"], first["problem"], first["available"]) == (
        "Trail Running Shoes", "Size 42", None, 10)  # fmt: skip
    assert (second["problem"], second["available"], second["priceChanged"]) == ("insufficient_stock", 1, False)
    store = data["stores"][0]
    assert store["storeId"] == seller.store.store_id and store["storeName"] == seller.store.name
    assert store["lineIds"] == [first["id"], second["id"]]
    assert store["subtotal"]["amount"] == 9998 + 12998 and store["deliveryFee"]["amount"] == 0
    assert data["totals"] == [{"amount": 22996, "currency": "usd"}]
    assert data["itemCount"] == 4 and data["canCheckout"] is False
    assert data["id"] == cart_id


def test_unavailable_lines_count_for_nothing(api: ApiClient, seller: Seller, shoes: dict[str, Any]) -> None:
    # GIVEN a cart with the shoes, whose owner then hides the product
    _, guest = _guest(api)
    _add(api, guest, shoes["id"], "TRS-42", 1)
    Product.get(catalog_keys.product(shoes["id"]), catalog_keys.product(shoes["id"])).update(
        actions=[Product.status.set("inactive")]
    )
    # WHEN the cart is read
    data = api.get("/api/v1/cart", **guest).json["data"]
    # THEN the line is unavailable, counts 0 and blocks checkout
    line = data["lines"][0]
    assert (line["problem"], line["available"], line["lineTotal"]["amount"]) == ("unavailable", 0, 0)
    assert line["name"] == "Trail Running Shoes"
    assert data["totals"] == [{"amount": 0, "currency": "usd"}] and data["canCheckout"] is False


def test_get_costs_one_getitem_and_one_batchget_whatever_the_cart_holds(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a guest cart with one line, and another with 8 lines from 4 stores
    _, small = _guest(api)
    _, big = _guest(api)
    sellers = [make_seller() for _ in range(4)]
    for index, seller in enumerate(sellers):
        product = seller.create(api)
        _add(api, big, product["id"], "TRS-42")
        _add(api, big, product["id"], "TRS-43")
        if index == 0:
            _add(api, small, product["id"])
    # WHEN each is read
    counts = []
    for auth in (small, big):
        with count_dynamodb_calls(monkeypatch) as calls:
            response = api.get("/api/v1/cart", **auth)
        assert response.status == 200
        counts.append(dict(calls))
    # THEN the same calls, whatever the size: the cart, then one batch for the catalog
    assert counts[0] == counts[1] == {"GetItem": 1, "BatchGetItem": 1}
    assert len(api.get("/api/v1/cart", **big).json["data"]["stores"]) == 4


# --- POST /cart/items


def test_add_item_to_guest_cart(api: ApiClient, seller: Seller, shoes: dict[str, Any]) -> None:
    # GIVEN a guest cart
    cart_id, guest = _guest(api)
    before = _stored(cart_id)
    assert before is not None
    # WHEN 2 of TRS-43 (variant price 6499) are added
    response = _add(api, guest, shoes["id"], "TRS-43", 2)
    # THEN the cart answers with the line priced at the variant's price
    assert response.status == 200, response.body
    data = response.json["data"]
    line = data["lines"][0]
    assert (line["productId"], line["variantSku"], line["quantity"], line["storeId"]) == (
        shoes["id"], "TRS-43", 2, seller.store.store_id)  # fmt: skip
    assert line["unitPrice"] == line["seenPrice"] == {"amount": 6499, "currency": "usd"}
    assert line["lineTotal"] == {"amount": 12998, "currency": "usd"} and line["problem"] is None
    assert data["canCheckout"] is True and data["itemCount"] == 2
    # AND it is stored, with the guest cart's expiry moved on
    stored = _stored(cart_id)
    assert stored is not None and stored.version == before.version + 1
    assert stored.lines[0]["seenPrice"] == 6499 and stored.lines[0]["currency"] == "usd"
    assert stored.expires_at is not None and before.expires_at is not None and stored.expires_at >= before.expires_at
    assert stored.gsi4sk and before.gsi4sk and stored.gsi4sk > before.gsi4sk  # TTL has whole seconds; the index µs
    assert _audit_actions(cart_id) == ["cart.create", "cart.item_add"]


def test_adding_the_same_variant_again_sums_the_line(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a customer's cart holding 2 x TRS-42
    user_id, auth = _customer()
    assert _add(api, auth, shoes["id"], "TRS-42", 2).status == 200
    # WHEN 3 more are added
    data = _add(api, auth, shoes["id"], "TRS-42", 3).json["data"]
    # THEN one line of 5
    assert [(line["variantSku"], line["quantity"]) for line in data["lines"]] == [("TRS-42", 5)]
    stored = _stored(user_id)
    assert stored is not None and len(stored.lines) == 1 and stored.lines[0]["quantity"] == 5


def test_summed_quantity_is_capped(api: ApiClient, seller: Seller) -> None:
    # GIVEN a variant with plenty of stock and a line of 60
    product = seller.create(api, variants=[{"sku": "BULK", "name": "Bulk", "stock": 500}])
    _, auth = _customer()
    _add(api, auth, product["id"], "BULK", 60)
    # WHEN 60 more are added
    data = _add(api, auth, product["id"], "BULK", 60).json["data"]
    # THEN the line holds the most a line may hold
    assert data["lines"][0]["quantity"] == 99


def test_add_above_stock_is_409_with_what_is_left(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN TRS-43 with 3 in stock and a cart holding 2 of them
    cart_id, guest = _guest(api)
    _add(api, guest, shoes["id"], "TRS-43", 2)
    # WHEN 2 more are added
    payload = assert_error(_add(api, guest, shoes["id"], "TRS-43", 2), 409, "INSUFFICIENT_STOCK")
    # THEN the message and data say how many are left, and the cart still holds 2
    assert payload["error"]["message"] == "Only 3 left of Trail Running Shoes (Size 43)."
    assert payload["data"] == {"available": 3}
    stored = _stored(cart_id)
    assert stored is not None and stored.lines[0]["quantity"] == 2


def test_add_item_validation(api: ApiClient, shoes: dict[str, Any]) -> None:
    _, guest = _guest(api)
    for body in ({"productId": shoes["id"], "variantSku": "TRS-42", "quantity": 0},
                 {"productId": shoes["id"], "variantSku": "TRS-42", "quantity": 100},
                 {"productId": shoes["id"], "variantSku": "TRS-42", "quantity": "2"},
                 {"productId": shoes["id"], "quantity": 1}):  # fmt: skip
        assert_error(api.post("/api/v1/cart/items", json_body=body, **guest), 400, "VALIDATION_ERROR")
    # an unknown SKU on a known product is a field error too
    payload = assert_error(_add(api, guest, shoes["id"], "TRS-99"), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "variantSku"


def test_add_unknown_hidden_or_closed_store_product_is_404(api: ApiClient, seller: Seller) -> None:
    # GIVEN a hidden product, a product of a suspended store, and an id that does not exist
    user_id, auth = _customer()
    hidden = seller.create(api)
    Product.get(catalog_keys.product(hidden["id"]), catalog_keys.product(hidden["id"])).update(
        actions=[Product.status.set("inactive")]
    )
    closed_seller = make_seller()
    closed = closed_seller.create(api)
    Store.get(
        catalog_keys.store(closed_seller.store.store_id), catalog_keys.store(closed_seller.store.store_id)
    ).update(actions=[Store.status.set("suspended")])
    # THEN each is 404 and nothing is stored
    for product_id in (hidden["id"], closed["id"], "01NOPE"):
        assert_error(_add(api, auth, product_id), 404, "NOT_FOUND")
    assert _stored(user_id) is None


def test_more_than_max_lines_is_422(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a customer's cart already holding MAX_LINES lines
    user_id, auth = _customer()
    lines = [{"productId": f"p{i}", "storeId": "s", "sku": "X", "quantity": 1, "seenPrice": 100, "currency": "usd"}
             for i in range(MAX_LINES)]  # fmt: skip
    make_cart(user_id, lines)
    # WHEN another product is added
    payload = assert_error(_add(api, auth, shoes["id"]), 422, "UNPROCESSABLE_ENTITY")
    # THEN refused, the cart unchanged
    assert str(MAX_LINES) in payload["error"]["message"]
    stored = _stored(user_id)
    assert stored is not None and len(stored.lines) == MAX_LINES


# --- PATCH and DELETE of one cart item


def test_update_item_quantity(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a line of 1 x TRS-42
    user_id, auth = _customer()
    line_id = _add(api, auth, shoes["id"]).json["data"]["lines"][0]["id"]
    # WHEN its quantity is set to 4
    response = api.patch(f"/api/v1/cart/items/{line_id}", json_body={"quantity": 4}, **auth)
    # THEN the cart shows 4 and so does the table
    assert response.status == 200, response.body
    assert response.json["data"]["lines"][0]["quantity"] == 4
    assert response.json["data"]["totals"] == [{"amount": 4 * 5999, "currency": "usd"}]
    stored = _stored(user_id)
    assert stored is not None and stored.lines[0]["quantity"] == 4
    assert _audit_actions(user_id) == ["cart.item_add", "cart.item_update"]


def test_update_item_above_stock_and_validation(api: ApiClient, shoes: dict[str, Any]) -> None:
    user_id, auth = _customer()
    line_id = _add(api, auth, shoes["id"], "TRS-43", 1).json["data"]["lines"][0]["id"]
    path = f"/api/v1/cart/items/{line_id}"
    payload = assert_error(api.patch(path, json_body={"quantity": 4}, **auth), 409, "INSUFFICIENT_STOCK")
    assert payload["data"] == {"available": 3}
    assert_error(api.patch(path, json_body={"quantity": 0}, **auth), 400, "VALIDATION_ERROR")
    assert_error(api.patch(path, json_body={}, **auth), 400, "VALIDATION_ERROR")
    stored = _stored(user_id)
    assert stored is not None and stored.lines[0]["quantity"] == 1


def test_another_users_line_is_404(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a line in one customer's cart and a guest cart
    owner_id, owner = _customer()
    line_id = _add(api, owner, shoes["id"]).json["data"]["lines"][0]["id"]
    _, intruder = _customer()
    _, guest = _guest(api)
    # WHEN others change or remove it by id
    for auth in (intruder, guest):
        assert_error(api.patch(f"/api/v1/cart/items/{line_id}", json_body={"quantity": 2}, **auth), 404, "NOT_FOUND")
        assert_error(api.delete(f"/api/v1/cart/items/{line_id}", **auth), 404, "NOT_FOUND")
    # THEN the owner's line is untouched
    stored = _stored(owner_id)
    assert stored is not None and [(line["id"], line["quantity"]) for line in stored.lines] == [(line_id, 1)]


def test_remove_item(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a guest cart with two lines
    cart_id, guest = _guest(api)
    _add(api, guest, shoes["id"], "TRS-42")
    lines = _add(api, guest, shoes["id"], "TRS-43").json["data"]["lines"]
    # WHEN the first is removed
    response = api.delete(f"/api/v1/cart/items/{lines[0]['id']}", **guest)
    # THEN only the second is left
    assert response.status == 200, response.body
    assert [line["id"] for line in response.json["data"]["lines"]] == [lines[1]["id"]]
    stored = _stored(cart_id)
    assert stored is not None and [line["sku"] for line in stored.lines] == ["TRS-43"]
    # AND removing it again is 404
    assert_error(api.delete(f"/api/v1/cart/items/{lines[0]['id']}", **guest), 404, "NOT_FOUND")


# --- coupon


def test_apply_and_remove_coupon(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a cart of 2 x 5999 and a 10% coupon
    user_id, auth = _customer()
    _add(api, auth, shoes["id"], "TRS-42", 2)
    _coupon("SPRING10")
    # WHEN the code is applied (any case)
    response = api.post("/api/v1/cart/coupon", json_body={"code": "spring10"}, **auth)
    # THEN the discount shows and the code is stored
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["coupon"] == {"code": "SPRING10", "applied": True, "problem": None}
    assert data["stores"][0]["discount"] == {"amount": 1199, "currency": "usd"}
    assert data["totals"] == [{"amount": 11998 - 1199, "currency": "usd"}] and data["canCheckout"] is True
    stored = _stored(user_id)
    assert stored is not None and stored.coupon_code == "SPRING10"
    assert api.get("/api/v1/cart", **auth).json["data"]["coupon"]["applied"] is True
    # WHEN it is removed
    data = api.delete("/api/v1/cart/coupon", **auth).json["data"]
    # THEN no discount, nothing stored
    assert data["coupon"] is None and data["totals"] == [{"amount": 11998, "currency": "usd"}]
    stored = _stored(user_id)
    assert stored is not None and stored.coupon_code is None
    assert _audit_actions(user_id) == ["cart.item_add", "cart.coupon_apply", "cart.coupon_remove"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (None, "This coupon does not exist."),
        ({"status": "deleted"}, "This coupon does not exist."),
        ({"ends_at": datetime(2020, 1, 1, tzinfo=UTC)}, "This coupon has expired."),
        ({"min_subtotal": 100000}, "This coupon needs a subtotal of at least 100000."),
        ({"store_id": "another-store"}, "This coupon does not apply to anything in your cart."),
    ],
)
def test_coupon_that_cannot_apply_is_422(api: ApiClient, shoes: dict[str, Any], fields: dict | None,
                                         message: str) -> None:  # fmt: skip
    # GIVEN a guest cart and a coupon that cannot apply to it
    cart_id, guest = _guest(api)
    _add(api, guest, shoes["id"])
    if fields is not None:
        _coupon("NOPE10", **fields)
    # WHEN it is applied
    payload = assert_error(api.post("/api/v1/cart/coupon", json_body={"code": "NOPE10"}, **guest), 422,
                           "UNPROCESSABLE_ENTITY")  # fmt: skip
    # THEN the reason is given and the cart has no coupon
    assert payload["error"]["message"] == message
    stored = _stored(cart_id)
    assert stored is not None and stored.coupon_code is None


def test_coupon_validation(api: ApiClient) -> None:
    _, guest = _guest(api)
    for body in ({}, {"code": "!!"}, {"code": "x" * 40}):
        assert_error(api.post("/api/v1/cart/coupon", json_body=body, **guest), 400, "VALIDATION_ERROR")


def test_a_coupon_that_stops_applying_shows_its_problem(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a cart with an applied coupon, which is then used up
    _, guest = _guest(api)
    _add(api, guest, shoes["id"])
    coupon = _coupon("ONCE", max_uses=1)
    assert api.post("/api/v1/cart/coupon", json_body={"code": "ONCE"}, **guest).status == 200
    coupon.update(actions=[Coupon.uses.set(1)])
    # WHEN the cart is read
    data = api.get("/api/v1/cart", **guest).json["data"]
    # THEN it says why, gives no discount and cannot check out
    assert data["coupon"] == {"code": "ONCE", "applied": False, "problem": "This coupon has been used up."}
    assert data["stores"][0]["discount"]["amount"] == 0 and data["canCheckout"] is False


# --- POST /cart/merge


def test_merge_guest_cart_into_customer_cart(api: ApiClient, seller: Seller, shoes: dict[str, Any]) -> None:
    # GIVEN a customer's cart with 1 x TRS-42, and a guest cart with 2 x TRS-42, 1 x TRS-43 and a coupon
    user_id, auth = _customer()
    _add(api, auth, shoes["id"], "TRS-42", 1)
    guest_id, guest = _guest(api)
    _add(api, guest, shoes["id"], "TRS-42", 2)
    _add(api, guest, shoes["id"], "TRS-43", 1)
    _coupon("WELCOME")
    assert api.post("/api/v1/cart/coupon", json_body={"code": "WELCOME"}, **guest).status == 200
    # WHEN the customer merges it
    response = api.post("/api/v1/cart/merge", token=auth["token"], headers=guest["headers"])
    # THEN the customer's cart holds the sum, with the guest's coupon
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["id"] == user_id and data["guest"] is False
    assert [(line["variantSku"], line["quantity"]) for line in data["lines"]] == [("TRS-42", 3), ("TRS-43", 1)]
    assert data["coupon"]["code"] == "WELCOME" and data["coupon"]["applied"] is True
    stored = _stored(user_id)
    assert stored is not None and stored.coupon_code == "WELCOME" and len(stored.lines) == 2
    assert stored.gsi4pk is None and stored.expires_at is None
    # AND the guest cart is gone: its token now finds nothing, a second merge is 404
    assert _stored(guest_id) is None
    assert_error(api.get("/api/v1/cart", **guest), 404, "NOT_FOUND")
    assert_error(api.post("/api/v1/cart/merge", token=auth["token"], headers=guest["headers"]), 404, "NOT_FOUND")
    assert "cart.merge" in _audit_actions(user_id)


def test_merge_keeps_the_customers_own_coupon(api: ApiClient, shoes: dict[str, Any]) -> None:
    user_id, auth = _customer()
    _add(api, auth, shoes["id"])
    _coupon("MINE")
    _coupon("THEIRS")
    api.post("/api/v1/cart/coupon", json_body={"code": "MINE"}, **auth)
    _, guest = _guest(api)
    _add(api, guest, shoes["id"], "TRS-43")
    api.post("/api/v1/cart/coupon", json_body={"code": "THEIRS"}, **guest)
    data = api.post("/api/v1/cart/merge", token=auth["token"], headers=guest["headers"]).json["data"]
    assert data["coupon"]["code"] == "MINE" and len(data["lines"]) == 2
    stored = _stored(user_id)
    assert stored is not None and stored.coupon_code == "MINE"


def test_merge_beyond_max_lines_is_422_and_changes_nothing(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a customer's cart with MAX_LINES lines and a guest cart with another product
    user_id, auth = _customer()
    lines = [{"productId": f"p{i}", "storeId": "s", "sku": "X", "quantity": 1, "seenPrice": 100, "currency": "usd"}
             for i in range(MAX_LINES)]  # fmt: skip
    make_cart(user_id, lines)
    guest_id, guest = _guest(api)
    _add(api, guest, shoes["id"])
    # WHEN merged
    assert_error(api.post("/api/v1/cart/merge", token=auth["token"], headers=guest["headers"]), 422,
                 "UNPROCESSABLE_ENTITY")  # fmt: skip
    # THEN both carts are as they were
    mine, theirs = _stored(user_id), _stored(guest_id)
    assert mine is not None and len(mine.lines) == MAX_LINES
    assert theirs is not None and len(theirs.lines) == 1


def test_merge_auth_and_validation(api: ApiClient) -> None:
    _, guest = _guest(api)
    _, owner = _customer("store_owner")
    _, customer = _customer()
    assert_error(api.post("/api/v1/cart/merge", **guest), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/v1/cart/merge", token=owner["token"], headers=guest["headers"]), 403, "FORBIDDEN")
    payload = assert_error(api.post("/api/v1/cart/merge", **customer), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "X-Cart-Token"
    assert_error(api.post("/api/v1/cart/merge", token=customer["token"], headers={"X-Cart-Token": "bad"}), 401,
                 "INVALID_TOKEN")  # fmt: skip


def test_merge_of_another_customers_cart_is_404(api: ApiClient) -> None:
    # GIVEN a cart token whose subject is a customer's cart (only guest carts can be merged)
    victim_id, _ = _customer()
    make_cart(victim_id, [])
    _, auth = _customer()
    forged = issue_purpose_token("cart", victim_id, 60)
    # THEN merge and reading through it find nothing
    assert_error(api.post("/api/v1/cart/merge", token=auth["token"], headers={"X-Cart-Token": forged}), 404,
                 "NOT_FOUND")  # fmt: skip
    assert_error(api.get("/api/v1/cart", headers={"X-Cart-Token": forged}), 404, "NOT_FOUND")
    assert _stored(victim_id) is not None


# --- expiry


def test_cleanup_removes_abandoned_guest_carts_but_not_customer_carts(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a guest cart and a customer cart
    guest_id, guest = _guest(api)
    _add(api, guest, shoes["id"])
    user_id, auth = _customer()
    _add(api, auth, shoes["id"])
    # WHEN the cleanup runs 31 days later
    report = cleanup.run(now=datetime.now(UTC) + timedelta(days=31))
    # THEN the guest cart is gone, the customer's stays
    assert report.deleted.get("Cart") == 1
    assert _stored(guest_id) is None and _stored(user_id) is not None
    assert_error(api.get("/api/v1/cart", **guest), 404, "NOT_FOUND")


def test_an_expired_guest_cart_not_yet_swept_is_404(api: ApiClient, shoes: dict[str, Any]) -> None:
    # GIVEN a guest cart whose expiry has passed, still in the table (TTL and the cleanup are late)
    cart_id, guest = _guest(api)
    _add(api, guest, shoes["id"])
    stored = _stored(cart_id)
    assert stored is not None
    stored.update(actions=[Cart.expires_at.set(datetime.now(UTC) - timedelta(minutes=1))])
    # THEN reading or writing it finds nothing, and the write did not revive it
    assert_error(api.get("/api/v1/cart", **guest), 404, "NOT_FOUND")
    assert_error(_add(api, guest, shoes["id"], "TRS-43"), 404, "NOT_FOUND")
    after = _stored(cart_id)
    assert after is not None and [line["sku"] for line in after.lines] == ["TRS-42"]
