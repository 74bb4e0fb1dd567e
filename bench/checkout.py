"""What one checkout writes, in DynamoDB write capacity units, next to the design's minimum.

One 3-line card checkout (one store, no coupon, an ``Idempotency-Key``) through the real
service (:func:`souk.orders.service.checkout.checkout`) against moto in-process. Stripe is left
out: the PaymentIntent call is replaced by a fixed intent (this section measures DynamoDB).

Every write call is captured at the botocore client. DynamoDB bills a write by the size
of the larger of the item before and after it, in 1 KB steps: a standard write is 1 WCU
per KB, a write inside TransactWriteItems 2 WCU per KB. The before and after images are
read with GetItem around the call (those reads are not counted). Each GSI whose keys the
item has before or after costs standard writes too (2 when its key changes: delete and
put), the entry being the item (all attributes are projected) plus 100 bytes.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from unittest import mock

from botocore.client import BaseClient

from bench.table import render

KB = 1024
INDEX_OVERHEAD = 100  # bytes DynamoDB adds to each index entry
GSIS = ("gsi1", "gsi2", "gsi3", "gsi4")
MINIMUM_ITEMS = 6  # 3 stock updates + 1 order + 1 payment + the cart cleared (docs/commerce.md)
LINES = 3


# ---------------------------------------------------------------- DynamoDB item sizes


def _number_size(text: str) -> int:
    """A number is stored as up to 38 significant digits, two per byte, plus one byte."""
    digits = Decimal(text).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's wire shape (``{"S": ...}``, ``{"M": ...}``)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: v}) for v in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    """Bytes of an item: its attribute names plus their values."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def units(size: int) -> int:
    return max(1, math.ceil(size / KB))


# ---------------------------------------------------------------- capturing writes


@dataclass
class Write:
    operation: str  # TransactWriteItems/Update, PutItem, UpdateItem...
    key: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    transactional: bool

    @property
    def size(self) -> int:
        return max(item_size(self.before), item_size(self.after))

    @property
    def wcu(self) -> int:
        return units(self.size) * (2 if self.transactional else 1)

    @property
    def index_wcu(self) -> int:
        total = 0
        for gsi in GSIS:
            old = _index_key(self.before, gsi)
            new = _index_key(self.after, gsi)
            if old is not None and new is not None and old != new:
                total += units(item_size(self.before) + INDEX_OVERHEAD) + units(item_size(self.after) + INDEX_OVERHEAD)
            elif new is not None:
                total += units(item_size(self.after) + INDEX_OVERHEAD)
            elif old is not None:
                total += units(item_size(self.before) + INDEX_OVERHEAD)
        return total

    @property
    def what(self) -> str:
        pk, sk = self.key["pk"]["S"], self.key["sk"]["S"]
        for prefix, name in (("PRODUCT#", "stock reservation (variant)"), ("ORDER#", "order"),
                             ("PAYMENT#", "payment"), ("CART#", "cart cleared"), ("AUDIT#", "audit record"),
                             ("IDEMPOTENCY#", "idempotency record"), ("WALLET#", "wallet")):  # fmt: skip
            if pk.startswith(prefix):
                return name if prefix != "PRODUCT#" or sk.startswith("VARIANT#") else "product flags"
        return pk.split("#", 1)[0].lower()


def _index_key(item: Mapping[str, Any] | None, gsi: str) -> tuple[str, str] | None:
    if not item or f"{gsi}pk" not in item or f"{gsi}sk" not in item:
        return None
    return item[f"{gsi}pk"]["S"], item[f"{gsi}sk"]["S"]


@dataclass
class WriteLog:
    writes: list[Write] = field(default_factory=list)
    transactions: int = 0


def _targets(operation: str, params: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(operation, table, key, transactional) of every item a write call touches."""
    if operation == "TransactWriteItems":
        found = []
        for entry in params["TransactItems"]:
            ((kind, body),) = entry.items()
            key = body.get("Key") or {"pk": body["Item"]["pk"], "sk": body["Item"]["sk"]}
            found.append((f"Transact/{kind}", body["TableName"], key, True))
        return found
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        key = params.get("Key") or {"pk": params["Item"]["pk"], "sk": params["Item"]["sk"]}
        return [(operation, params["TableName"], key, False)]
    if operation == "BatchWriteItem":
        found = []
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    found.append(("BatchWrite/Put", table, {"pk": item["pk"], "sk": item["sk"]}, False))
                else:
                    found.append(("BatchWrite/Delete", table, request["DeleteRequest"]["Key"], False))
        return found
    return []


@contextlib.contextmanager
def capture_writes() -> Iterator[WriteLog]:
    """Every write call made in the block, with the images of the items it touched."""
    log = WriteLog()
    original = BaseClient._make_api_call

    def image(client: BaseClient, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found = original(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        return found.get("Item")

    def spy(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        targets = _targets(operation, params) if self.meta.service_model.service_name == "dynamodb" else []
        befores = [image(self, table, key) for _, table, key, _ in targets]
        response = original(self, operation, params)
        log.transactions += operation == "TransactWriteItems"
        for (kind, table, key, transactional), before in zip(targets, befores, strict=True):
            log.writes.append(Write(kind, key, before, image(self, table, key), transactional))
        return response

    with mock.patch.object(BaseClient, "_make_api_call", spy):
        yield log


# ---------------------------------------------------------------- the scenario


@dataclass(frozen=True)
class CheckoutCost:
    writes: list[Write]
    transactions: int
    orders: int
    status: str


def _fake_intent(amount: int, currency: str, **_: Any) -> Any:
    from souk.payments.gateway import Intent

    return Intent(id="pi_bench", client_secret="pi_bench_secret_bench", status="requires_payment_method")


def run_checkout() -> CheckoutCost:
    """One 3-line card checkout on a fresh moto table (call inside the bench environment)."""
    from bench.ddb import local_table
    from infra.local.routing import Router

    with local_table(Router()):
        from souk.caller import Principal
        from souk.cart import keys
        from souk.cart.models import Cart
        from souk.catalog.schemas.categories import CreateCategoryRequest
        from souk.catalog.schemas.products import CreateProductRequest
        from souk.catalog.schemas.stores import CreateStoreRequest, StoreStatusRequest
        from souk.catalog.service import categories, products, review, stores
        from souk.identity.schemas.addresses import AddressIn
        from souk.identity.service import addresses
        from souk.orders.schemas import CheckoutRequest
        from souk.orders.service import checkout
        from souk.schema import PostalAddress

        admin = Principal(user_id="bench-admin", role="admin", session_id=None)
        owner = Principal(user_id="bench-owner", role="store_owner", session_id=None)
        customer = Principal(user_id="bench-customer", role="customer", session_id=None)
        category = categories.create_category(admin, CreateCategoryRequest(name="Pantry"))
        address = PostalAddress(line1="1 Main St", city="Springfield", country="US", lat=40.0, lng=-73.0)
        store = stores.create_store(owner, CreateStoreRequest(name="Corner Shop", address=address,
                                                              category_ids=[category.category_id]))  # fmt: skip
        review.set_store_status(admin, store.store_id, StoreStatusRequest(status="approved"))
        variants = [{"sku": f"OIL-{n}", "name": f"{n} litre", "stock": 50, "low_stock_threshold": 0}
                    for n in range(1, LINES + 1)]  # fmt: skip
        product = products.create_product(owner, CreateProductRequest(
            store_id=store.store_id, name="Olive Oil", price={"amount": 899, "currency": "usd"},
            category_id=category.category_id, variants=variants))  # fmt: skip
        home = addresses.create_address(customer, AddressIn(label="Home", line1="1 Elm St", city="Springfield",
                                                            country="US", lat=40.1, lng=-73.2))  # fmt: skip
        lines = [{"id": f"line-{v['sku']}", "productId": product.id, "storeId": store.store_id, "sku": v["sku"],
                  "quantity": 2, "seenPrice": 899, "currency": "usd", "addedAt": "2026-01-01T00:00:00+00:00"}
                 for v in variants]  # fmt: skip
        Cart(pk=keys.cart(customer.user_id), sk=keys.CART, cart_id=customer.user_id, user_id=customer.user_id,
             lines=lines).save()  # fmt: skip
        request = CheckoutRequest(address_id=home.id, payment_method="card")
        with mock.patch("souk.payments.gateway.create_payment_intent", _fake_intent), capture_writes() as log:
            result = checkout.checkout(customer, request, idempotency_key="bench-checkout-1")
        return CheckoutCost(log.writes, log.transactions, len(result.orders), result.payment.status)


def run(*, progress: Callable[[str], None] | None = None) -> CheckoutCost:
    from bench.ddb import _section_environment

    if progress:
        progress("checkout: one 3-line card checkout on moto")
    with _section_environment(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        # Powertools warns that no Lambda context bounds the idempotency record: there is none outside Lambda.
        warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")
        return run_checkout()


def render_report(cost: CheckoutCost) -> str:
    in_tx = [w for w in cost.writes if w.transactional]
    outside = [w for w in cost.writes if not w.transactional]
    rows = [[w.what, w.operation, f"{w.size:,}", str(w.wcu), str(w.index_wcu)] for w in [*in_tx, *outside]]
    minimum = [w for w in in_tx if w.what in ("stock reservation (variant)", "order", "payment", "cart cleared")]
    extra = [w for w in in_tx if w not in minimum]

    def names(writes: list[Write]) -> str:
        return ", ".join(sorted({w.what for w in writes})) or "none"

    totals = [
        ["design minimum (3 stock + order + payment + cart)", str(MINIMUM_ITEMS), str(2 * MINIMUM_ITEMS)],
        ["measured: those items", str(len(minimum)), str(sum(w.wcu for w in minimum))],
        [f"measured: extra items in the transaction ({names(extra)})", str(len(extra)), str(sum(w.wcu for w in extra))],
        ["measured: the whole transaction", str(len(in_tx)), str(sum(w.wcu for w in in_tx))],
        [f"outside the transaction, standard writes ({names(outside)})", str(len(outside)),
         str(sum(w.wcu for w in outside))],
        ["GSI writes of all of the above (standard)", "-", str(sum(w.index_wcu for w in cost.writes))],
    ]  # fmt: skip
    return "\n".join([
        render(["item", "write", "bytes (max of before/after)", "WCU", "GSI WCU"], rows, align_right=(2, 3, 4)),
        "",
        f"One {LINES}-line card checkout (1 store, no coupon, with Idempotency-Key): {cost.orders} order, "
        f"payment {cost.status}, {cost.transactions} TransactWriteItems of {len(in_tx)} items.",
        "",
        render(["", "items", "WCU"], totals, align_right=(1, 2)),
    ])  # fmt: skip
