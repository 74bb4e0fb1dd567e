"""The cart routes' service: whose cart, its lines, its coupon, a guest cart merged at login.

Which cart (:func:`cart_owner`): a signed-in caller (any role, bearer or API key) uses
their own cart, id = their user id, created on the first write (a GET of a missing cart
shows an empty one and writes nothing). A guest sends ``X-Cart-Token``, a purpose token
(purpose ``cart``, subject the cart id) from ``POST /cart``. A guest cart moves its expiry
(TTL + the expiry index, see :mod:`souk.db.expiry`) on every write, so the hourly cleanup
removes abandoned ones promptly. The token outlives any cart kept in use (a year): the
cart's own expiry decides, and a token whose cart is gone answers 404.

Writes are optimistic: the cart is a :class:`~souk.db.base.VersionedItem`, put in one
transaction with its audit record on the version read; a lost race re-reads and tries
again, up to :data:`MAX_WRITE_ATTEMPTS`, then 409 CONFLICT. Stock is checked on add and
update, never reserved (checkout reserves it). Every route answers the priced cart
(:func:`souk.cart.pricing.price`): the same numbers checkout charges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.caller import Principal
from souk.cart import pricing
from souk.cart.models import MAX_LINES, MAX_QUANTITY, Cart
from souk.catalog.models import Product, Store, Variant
from souk.db import expiry, keys
from souk.db.base import SoukItem, utc_now
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import Retry, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict, InsufficientStock, NotFound, UnprocessableEntity, ValidationFailed
from souk.identity import jwt_tokens
from souk.identity.sessions import Client
from souk.ids import new_id
from souk.money import Money, money
from souk.schema import CamelModel, OneLine

CART_TOKEN_PURPOSE = "cart"
CART_TOKEN_HEADER = "X-Cart-Token"
GUEST_CART_DAYS = 30  # a guest cart's life after its last write
# The token only names the cart; it must not expire under a cart still in use (expiry moves on each write).
GUEST_TOKEN_DAYS = 365
GUEST_CART_CREATION = RateLimit("guest-cart-create", limit=30, window_seconds=60)  # per IP
MAX_WRITE_ATTEMPTS = 4
CART_LABEL = "cart"
GUEST_CART_LABEL = "guest-cart"
_RETRY_REASONS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})

ProductId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, strict=True)]
CouponCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9_-]{3,32}$")]


# --- request / response schemas


class AddItemRequest(CamelModel):
    product_id: ProductId
    variant_sku: Sku
    quantity: Quantity = Field(description=f"1 to {MAX_QUANTITY}; added to the line already holding this variant.")


class UpdateItemRequest(CamelModel):
    quantity: Quantity = Field(description=f"The line's new quantity, 1 to {MAX_QUANTITY} (DELETE removes a line).")


class ApplyCouponRequest(CamelModel):
    code: CouponCode = Field(description="Case-insensitive.", examples=["SPRING10"])


class CartCreated(CamelModel):
    cart_id: str
    cart_token: str = Field(description=f"Send it as {CART_TOKEN_HEADER} on every cart route while a guest.")
    expires_at: datetime = Field(description="When the token expires.")


class CartLineOut(CamelModel):
    id: str = Field(description="The line's id (itemId in /cart/items/{itemId}).")
    product_id: str
    variant_sku: str
    store_id: str
    name: str | None = Field(description="The product's name (as added, when the product is gone).")
    variant_name: str | None
    quantity: int
    unit_price: Money = Field(description="The current unit price (variant override, else the product's).")
    seen_price: Money = Field(description="The unit price when the line was added.")
    price_changed: bool
    line_total: Money = Field(description="unitPrice x quantity; 0 for an unavailable line (not counted).")
    available: int = Field(description="Units in stock now (0 when unavailable). Stock is reserved only at checkout.")
    problem: Literal["unavailable", "insufficient_stock"] | None = Field(
        description="unavailable: the product, its variant or its store is gone or hidden; insufficient_stock: "
        "fewer units in stock than the quantity. Checkout refuses a cart with problems."
    )


class CartStoreOut(CamelModel):
    store_id: str
    store_name: str | None
    currency: str
    line_ids: list[str]
    subtotal: Money
    discount: Money = Field(description="This store's share of the coupon's discount.")
    delivery_fee: Money = Field(description="Always 0 for now: delivery fees arrive with delivery zones.")
    total: Money = Field(description="subtotal - discount + deliveryFee.")


class CartCouponOut(CamelModel):
    code: str
    applied: bool = Field(description="False when the coupon gives nothing now (see problem).")
    problem: str | None


class CartOut(CamelModel):
    id: str
    guest: bool
    lines: list[CartLineOut]
    stores: list[CartStoreOut] = Field(description="One group per store (one order per store at checkout).")
    coupon: CartCouponOut | None
    totals: list[Money] = Field(description="What checkout charges, per currency.")
    item_count: int = Field(description="Units across all lines.")
    can_checkout: bool = Field(description="Lines, none with a problem, the coupon (if any) applies, one currency.")


# --- whose cart


@dataclass(frozen=True)
class CartOwner:
    """The cart a request acts on: the signed-in caller's, or the guest cart of a cart token."""

    cart_id: str
    principal: Principal | None
    client: Client

    @property
    def guest(self) -> bool:
        return self.principal is None

    @property
    def user_id(self) -> str | None:
        return self.principal.user_id if self.principal else None

    @property
    def actor(self) -> audit.Actor:
        if self.principal is not None:
            return self.principal.actor
        return guest_actor(self.cart_id, self.client)


@dataclass(frozen=True)
class MergeParties:
    """POST /cart/merge: the signed-in customer and the guest cart of their cart token."""

    principal: Principal
    guest_cart_id: str


def guest_actor(cart_id: str, client: Client) -> audit.Actor:
    return audit.Actor(user_id=f"guest:{cart_id}", role="guest", ip=client.ip, user_agent=client.user_agent)


# --- reading and writing


def _now() -> datetime:
    return utc_now()


def _read(cart_id: str) -> Cart | None:
    try:
        return Cart.get(keys.cart(cart_id), keys.CART, consistent_read=True)
    except DoesNotExist:
        return None


def _guest_cart(cart_id: str) -> Cart:
    """A live guest cart, else 404 (deleted, merged, expired but not swept yet, or not a guest cart)."""
    cart = _read(cart_id)
    if cart is None or cart.user_id is not None or (cart.expires_at is not None and cart.expires_at <= _now()):
        raise NotFound("This cart no longer exists.")
    return cart


def _new_cart(cart_id: str, user_id: str | None) -> Cart:
    return Cart(pk=keys.cart(cart_id), sk=keys.CART, cart_id=cart_id, user_id=user_id, lines=[])


def _cart_of(owner: CartOwner) -> Cart:
    """The owner's cart as stored, or a new unsaved one for a signed-in caller without one yet."""
    if owner.guest:
        return _guest_cart(owner.cart_id)
    return _read(owner.cart_id) or _new_cart(owner.cart_id, owner.user_id)


def _refresh_expiry(cart: Cart, now: datetime) -> None:
    until = now + timedelta(days=GUEST_CART_DAYS)
    index = expiry.index_keys(until, cart.pk)
    cart.expires_at = until
    cart.gsi4pk, cart.gsi4sk = index["gsi4pk"], index["gsi4sk"]


def _summary(cart: Cart) -> dict[str, Any]:
    return {"lines": len(cart.lines), "items": sum(int(line["quantity"]) for line in cart.lines),
            "couponCode": cart.coupon_code}  # fmt: skip


def _commit(cart: Cart, actor: audit.Actor, action: str, *, detail: dict[str, Any] | None = None,
            delete: Cart | None = None) -> None:  # fmt: skip
    """Put ``cart`` on the version it was read at (and delete ``delete``), with the audit record.

    :class:`Retry` when another write got there first (re-read and retry); other failures raise.
    """
    now = _now()
    cart.updated_at = now
    if cart.user_id is None:
        _refresh_expiry(cart, now)
    try:
        with WriteTransaction() as tx:
            tx.put(cart, label=CART_LABEL)
            if delete is not None:
                tx.delete(delete, label=GUEST_CART_LABEL)
            audit.record(actor, action, "cart", cart.cart_id, tx=tx, after={**_summary(cart), **(detail or {})})
    except TransactionCancelled as cancelled:
        if set(cancelled.reasons.values()) & _RETRY_REASONS:
            raise Retry from cancelled
        raise


def _conflict() -> Conflict:
    return Conflict("The cart changed while saving; try again.")


def _retried(attempt: Callable[[], CartOut]) -> CartOut:
    """``attempt`` (read the cart, change it, :func:`_commit`) until no other write gets there first."""
    return retry_on_contention(attempt, attempts=MAX_WRITE_ATTEMPTS, exhausted=_conflict)


# --- the catalog side of a line


@dataclass(frozen=True)
class _Offer:
    product: Product | None
    variant: Variant | None
    store: Store | None

    @property
    def sellable(self) -> bool:
        return (self.product is not None and self.product.status == "active" and self.store is not None
                and self.store.status == "approved")  # fmt: skip

    @property
    def unit_price(self) -> int:
        assert self.product is not None and self.variant is not None
        if self.variant.price_amount is not None:
            return int(self.variant.price_amount)
        return int(self.product.price_amount)

    @property
    def stock(self) -> int:
        return max(0, int(self.variant.stock)) if self.variant is not None and self.sellable else 0

    def label(self) -> str:
        if self.product is None:
            return "This item"
        return f"{self.product.name} ({self.variant.name})" if self.variant is not None else self.product.name


def _offer(product_id: str, sku: str, store_id: str | None = None) -> _Offer:
    """The product, its variant and its store in one BatchGetItem (the store read from the product if unknown)."""
    wanted = [(keys.product(product_id), keys.product(product_id)), (keys.product(product_id), keys.variant(sku))]
    if store_id is not None:
        wanted.append((keys.store(store_id), keys.store(store_id)))
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
            store = Store.get(keys.store(product.store_id), keys.store(product.store_id))
        except DoesNotExist:
            store = None
    return _Offer(product, variant, store)


def _check_stock(offer: _Offer, quantity: int) -> None:
    available = offer.stock
    if quantity <= available:
        return
    if not offer.sellable or offer.variant is None:
        raise InsufficientStock(f"{offer.label()} is no longer available.", data={"available": 0})
    if available == 0:
        raise InsufficientStock(f"{offer.label()} is out of stock.", data={"available": 0})
    raise InsufficientStock(f"Only {available} left of {offer.label()}.", data={"available": available})


def _find_line(cart: Cart, product_id: str, sku: str) -> dict[str, Any] | None:
    return next((line for line in cart.lines if line["productId"] == product_id and line["sku"] == sku), None)


def _line_by_id(cart: Cart, item_id: str) -> dict[str, Any]:
    line = next((line for line in cart.lines if line["id"] == item_id), None)
    if line is None:
        raise NotFound("No such item in your cart.")
    return line


# --- the priced cart as the API shows it


def _priced(cart: Cart, user_id: str | None) -> pricing.PricedCart:
    return pricing.price(cart, pricing.load(cart, user_id), _now())


def _line_out(priced: pricing.PricedLine) -> CartLineOut:
    line = priced.line
    currency = str(line["currency"])
    unavailable = priced.problem == "unavailable"
    return CartLineOut(
        id=line["id"], product_id=line["productId"], variant_sku=line["sku"], store_id=line["storeId"],
        name=priced.product.name if priced.product is not None else line.get("name"),
        variant_name=priced.variant.name if priced.variant is not None else line.get("variantName"),
        quantity=priced.quantity, unit_price=money(priced.unit_price, currency),
        seen_price=money(int(line["seenPrice"]), currency), price_changed=priced.price_changed,
        line_total=money(0 if unavailable else priced.line_total, currency), available=priced.available,
        problem=priced.problem,  # type: ignore[arg-type]
    )  # fmt: skip


def _store_out(group: pricing.StoreGroup) -> CartStoreOut:
    currency = group.currency
    return CartStoreOut(
        store_id=group.store_id, store_name=group.store.name if group.store is not None else None, currency=currency,
        line_ids=[line.line["id"] for line in group.lines], subtotal=money(group.subtotal, currency),
        discount=money(group.discount, currency), delivery_fee=money(group.delivery_fee, currency),
        total=money(group.total, currency),
    )  # fmt: skip


def cart_out(priced: pricing.PricedCart, *, guest: bool) -> CartOut:
    """The API view of a priced cart."""
    cart = priced.cart
    coupon = None
    if cart.coupon_code:
        coupon = CartCouponOut(code=cart.coupon_code, applied=priced.coupon_problem is None,
                               problem=priced.coupon_problem)  # fmt: skip
    totals = priced.totals()
    can_checkout = bool(cart.lines) and not priced.problems and priced.coupon_problem is None and len(totals) == 1
    return CartOut(
        id=cart.cart_id, guest=guest, lines=[_line_out(line) for line in priced.lines],
        stores=[_store_out(group) for group in priced.groups], coupon=coupon,
        totals=[money(amount, currency) for currency, amount in totals.items()],
        item_count=sum(int(line["quantity"]) for line in cart.lines), can_checkout=can_checkout,
    )  # fmt: skip


def _answer(cart: Cart, owner_guest: bool, user_id: str | None) -> CartOut:
    return cart_out(_priced(cart, user_id), guest=owner_guest)


# --- the routes


def create_guest_cart(client: Client) -> tuple[CartCreated, RateState]:
    """POST /cart: a new empty guest cart and its token; at most GUEST_CART_CREATION per IP."""
    state = GUEST_CART_CREATION.enforce(client.ip or "unknown")
    cart_id = new_id()
    now = _now()
    cart = _new_cart(cart_id, None)
    cart.created_at = cart.updated_at = now
    _refresh_expiry(cart, now)
    with WriteTransaction() as tx:
        tx.put(cart, condition=Cart.pk.does_not_exist(), label=CART_LABEL)
        audit.record(guest_actor(cart_id, client), "cart.create", "cart", cart_id, tx=tx, after={"guest": True})
    ttl = GUEST_TOKEN_DAYS * 24 * 3600
    token = jwt_tokens.issue_purpose_token(CART_TOKEN_PURPOSE, cart_id, ttl)
    return CartCreated(cart_id=cart_id, cart_token=token, expires_at=now + timedelta(seconds=ttl)), state


def get_cart(owner: CartOwner) -> CartOut:
    """GET /cart: one GetItem and one BatchGetItem, whatever the cart and the catalog hold; never writes."""
    return _answer(_cart_of(owner), owner.guest, owner.user_id)


def add_item(owner: CartOwner, request: AddItemRequest) -> CartOut:
    """POST /cart/items: a new line, or more of a line already holding this variant (capped at MAX_QUANTITY)."""
    offer = _offer(request.product_id, request.variant_sku)
    if offer.product is None or not offer.sellable:
        raise NotFound("No such product.")
    if offer.variant is None:
        raise ValidationFailed.field("variantSku", "This product has no variant with this SKU.")
    product, variant, store = offer.product, offer.variant, offer.store
    assert store is not None

    def attempt() -> CartOut:
        cart = _cart_of(owner)
        line = _find_line(cart, product.product_id, variant.sku)
        quantity = min(MAX_QUANTITY, (int(line["quantity"]) if line else 0) + request.quantity)
        if line is None and len(cart.lines) >= MAX_LINES:
            raise UnprocessableEntity(f"A cart holds at most {MAX_LINES} different items.")
        _check_stock(offer, quantity)
        if line is None:
            line = {"id": new_id(), "productId": product.product_id, "storeId": product.store_id, "sku": variant.sku,
                    "quantity": quantity, "seenPrice": offer.unit_price, "currency": store.currency,
                    "addedAt": _now().isoformat(), "name": product.name, "variantName": variant.name}  # fmt: skip
            cart.lines = [*cart.lines, line]
        else:  # the customer sees today's price on what they just added
            line.update(quantity=quantity, seenPrice=offer.unit_price, currency=store.currency)
        _commit(cart, owner.actor, "cart.item_add", detail={"lineId": line["id"], "quantity": quantity})
        return _answer(cart, owner.guest, owner.user_id)

    return _retried(attempt)


def update_item(owner: CartOwner, item_id: str, request: UpdateItemRequest) -> CartOut:
    """PATCH /cart/items/{itemId}: set a line's quantity (checked against the stock now)."""

    def attempt() -> CartOut:
        cart = _cart_of(owner)
        line = _line_by_id(cart, item_id)
        _check_stock(_offer(line["productId"], line["sku"], line["storeId"]), request.quantity)
        line["quantity"] = request.quantity
        _commit(cart, owner.actor, "cart.item_update", detail={"lineId": item_id, "quantity": request.quantity})
        return _answer(cart, owner.guest, owner.user_id)

    return _retried(attempt)


def remove_item(owner: CartOwner, item_id: str) -> CartOut:
    """DELETE /cart/items/{itemId}."""

    def attempt() -> CartOut:
        cart = _cart_of(owner)
        _line_by_id(cart, item_id)
        cart.lines = [line for line in cart.lines if line["id"] != item_id]
        _commit(cart, owner.actor, "cart.item_remove", detail={"lineId": item_id})
        return _answer(cart, owner.guest, owner.user_id)

    return _retried(attempt)


def apply_coupon(owner: CartOwner, request: ApplyCouponRequest) -> CartOut:
    """POST /cart/coupon: checked now against this cart (422 with the reason), then kept on the cart."""

    def attempt() -> CartOut:
        cart = _cart_of(owner)
        cart.coupon_code = request.code
        priced = _priced(cart, owner.user_id)
        if priced.coupon_problem is not None:
            raise UnprocessableEntity(priced.coupon_problem)
        _commit(cart, owner.actor, "cart.coupon_apply")
        return cart_out(priced, guest=owner.guest)

    return _retried(attempt)


def remove_coupon(owner: CartOwner) -> CartOut:
    """DELETE /cart/coupon: no coupon is no write."""

    def attempt() -> CartOut:
        cart = _cart_of(owner)
        if not cart.coupon_code:
            return _answer(cart, owner.guest, owner.user_id)
        removed = cart.coupon_code
        cart.coupon_code = None
        _commit(cart, owner.actor, "cart.coupon_remove", detail={"removed": removed})
        return _answer(cart, owner.guest, owner.user_id)

    return _retried(attempt)


def _merged_lines(mine: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = [dict(line) for line in mine]
    by_variant = {(line["productId"], line["sku"]): line for line in lines}
    for line in theirs:
        same = by_variant.get((line["productId"], line["sku"]))
        if same is None:
            lines.append(dict(line))
            by_variant[(line["productId"], line["sku"])] = lines[-1]
        else:
            same["quantity"] = min(MAX_QUANTITY, int(same["quantity"]) + int(line["quantity"]))
    return lines


def merge_guest_cart(parties: MergeParties) -> CartOut:
    """POST /cart/merge: the guest cart's lines into the customer's, the guest cart deleted, in one transaction.

    Same variant: quantities summed (capped at MAX_QUANTITY); the guest coupon is kept when the
    customer's cart has none. More than MAX_LINES lines: 422 and nothing changes. A guest cart
    already merged or gone: 404.
    """
    principal = parties.principal

    def attempt() -> CartOut:
        guest = _guest_cart(parties.guest_cart_id)
        mine = _read(principal.user_id) or _new_cart(principal.user_id, principal.user_id)
        lines = _merged_lines(mine.lines, guest.lines)
        if len(lines) > MAX_LINES:
            raise UnprocessableEntity(f"Merging would make {len(lines)} different items; a cart holds at most "
                                      f"{MAX_LINES}. Remove some first.")  # fmt: skip
        mine.lines = lines
        mine.coupon_code = mine.coupon_code or guest.coupon_code
        detail = {"guestCartId": guest.cart_id, "guestLines": len(guest.lines)}
        _commit(mine, principal.actor, "cart.merge", detail=detail, delete=guest)
        return _answer(mine, False, principal.user_id)

    return _retried(attempt)
