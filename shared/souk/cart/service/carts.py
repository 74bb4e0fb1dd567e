"""The cart routes' service: whose cart, its lines, its coupon, a guest cart merged at login.

Which cart (:func:`souk.auth.cart.cart_owner`): a signed-in caller (any role, bearer or API
key) uses their own cart, id = their user id, created on the first write (a GET of a
missing cart shows an empty one and writes nothing). A guest sends ``X-Cart-Token``, a
purpose token (purpose ``cart``, subject the cart id) from ``POST /cart``. A guest cart
moves its expiry (TTL + the expiry index, see :mod:`souk.db.expiry`) on every write, so the
hourly cleanup removes abandoned ones promptly. The token outlives any cart kept in use (a
year): the cart's own expiry decides, and a token whose cart is gone answers 404.

Every answer shows each store's delivery estimate (:func:`estimate_destination`): the fee from
the store to the signed-in caller's default address, by the rule the quote and checkout use.

Writes are optimistic: the cart is a :class:`~souk.db.base.VersionedItem`, put in one
transaction with its audit record on the version read; a lost race re-reads and tries
again, up to :data:`MAX_WRITE_ATTEMPTS`, then 409 CONFLICT. Stock is checked on add and
update, never reserved (checkout reserves it). Every route answers the priced cart
(:func:`souk.cart.pricing.price`): the same numbers checkout charges.

The rules (:func:`check_stock`, :func:`merged_lines`, :func:`guest_cart_problem`) are plain
functions over loaded values; :mod:`souk.cart.store` reads and writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from souk.audit import service as audit
from souk.caller import Principal
from souk.cart import pricing, store
from souk.cart.models import MAX_LINES, MAX_QUANTITY, Cart
from souk.cart.schemas import AddItemRequest, ApplyCouponRequest, CartCreated, CartOut, UpdateItemRequest, cart_out
from souk.db.base import utc_now
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import retry_on_contention
from souk.delivery import terms as delivery_terms
from souk.errors import Conflict, InsufficientStock, NotFound, UnprocessableEntity, ValidationFailed
from souk.identity import jwt_tokens
from souk.identity.schemas.sessions import Client
from souk.ids import new_id

CART_TOKEN_PURPOSE = "cart"
# The token only names the cart; it must not expire under a cart still in use (expiry moves on each write).
GUEST_TOKEN_DAYS = 365
GUEST_CART_CREATION = RateLimit("guest-cart-create", limit=30, window_seconds=60)  # per IP
MAX_WRITE_ATTEMPTS = 4


# ---------------------------------------------------------------- whose cart


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


# ---------------------------------------------------------------- rules: plain functions over loaded values


def guest_cart_problem(cart: Cart | None, now: datetime) -> str | None:
    """Why ``cart`` is not a live guest cart (deleted, merged, expired but not swept yet, a customer's), or None."""
    if cart is None or cart.user_id is not None or (cart.expires_at is not None and cart.expires_at <= now):
        return "This cart no longer exists."
    return None


def check_stock(offer: pricing.Offer, quantity: int) -> None:
    """409 INSUFFICIENT_STOCK (``data.available``) unless ``offer`` has ``quantity`` units to sell."""
    available = offer.stock
    if quantity <= available:
        return
    if not offer.sellable or offer.variant is None:
        raise InsufficientStock(f"{offer.label()} is no longer available.", data={"available": 0})
    if available == 0:
        raise InsufficientStock(f"{offer.label()} is out of stock.", data={"available": 0})
    raise InsufficientStock(f"Only {available} left of {offer.label()}.", data={"available": available})


def find_line(cart: Cart, product_id: str, sku: str) -> dict[str, Any] | None:
    return next((line for line in cart.lines if line["productId"] == product_id and line["sku"] == sku), None)


def line_by_id(cart: Cart, item_id: str) -> dict[str, Any]:
    line = next((line for line in cart.lines if line["id"] == item_id), None)
    if line is None:
        raise NotFound("No such item in your cart.")
    return line


def merged_lines(mine: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``theirs`` added to ``mine`` (copies): the same variant sums its quantities (capped at MAX_QUANTITY)."""
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


def _summary(cart: Cart) -> dict[str, Any]:
    return {"lines": len(cart.lines), "items": sum(int(line["quantity"]) for line in cart.lines),
            "couponCode": cart.coupon_code}  # fmt: skip


# ---------------------------------------------------------------- reading, pricing, saving


def _guest_cart(cart_id: str) -> Cart:
    """A live guest cart, else 404."""
    cart = store.read_cart(cart_id)
    problem = guest_cart_problem(cart, utc_now())
    if problem is not None or cart is None:
        raise NotFound(problem)
    return cart


def _cart_of(owner: CartOwner) -> Cart:
    """The owner's cart as stored, or a new unsaved one for a signed-in caller without one yet."""
    if owner.guest:
        return _guest_cart(owner.cart_id)
    return store.read_cart(owner.cart_id) or store.new_cart(owner.cart_id, owner.user_id)


def destination(address_at: tuple[float, float] | None) -> pricing.Destination:
    """Delivery to ``address_at`` (lat, lng): the active zones (one Query) and the courier speed.
    No address: nothing read, every store's fee is 0 with the reason."""
    if address_at is None:
        return pricing.Destination(at=None)
    return pricing.Destination(at=address_at, zones=delivery_terms.load_zones(),
                               speed_kmh=delivery_terms.courier_speed_kmh())  # fmt: skip


def priced(cart: Cart, user_id: str | None, *, now: datetime | None = None, consistent: bool = False,
           deliver_to: pricing.Destination | None = None) -> pricing.PricedCart:  # fmt: skip
    """``cart`` priced from the catalog as it is now (one BatchGetItem), its delivery to ``deliver_to``:
    what the cart shows and checkout charges."""
    view = store.load_view(cart, user_id, consistent=consistent)
    return pricing.price(cart, view, now or utc_now(), deliver_to)


def estimate_destination(cart: Cart, user_id: str | None) -> pricing.Destination:
    """Where the cart's delivery estimate goes: the signed-in caller's default address (one Query, plus
    the zones' one Query when it has coordinates); a guest, or an empty cart, reads nothing."""
    if user_id is None or not cart.lines:
        return pricing.Destination(at=None)
    return destination(store.default_address_at(user_id))


def _answer(cart: Cart, owner_guest: bool, user_id: str | None) -> CartOut:
    return cart_out(priced(cart, user_id, deliver_to=estimate_destination(cart, user_id)), guest=owner_guest)


def _commit(cart: Cart, actor: audit.Actor, action: str, *, detail: dict[str, Any] | None = None,
            delete: Cart | None = None) -> None:  # fmt: skip
    record = audit.build_record(actor, action, "cart", cart.cart_id, after={**_summary(cart), **(detail or {})})
    store.save_cart(cart, record, delete=delete)


def _conflict() -> Conflict:
    return Conflict("The cart changed while saving; try again.")


def _retried(attempt: Callable[[], CartOut]) -> CartOut:
    """``attempt`` (read the cart, change it, :func:`_commit`) until no other write gets there first."""
    return retry_on_contention(attempt, attempts=MAX_WRITE_ATTEMPTS, exhausted=_conflict)


# ---------------------------------------------------------------- the routes


def create_guest_cart(client: Client) -> tuple[CartCreated, RateState]:
    """POST /cart: a new empty guest cart and its token; at most GUEST_CART_CREATION per IP."""
    state = GUEST_CART_CREATION.enforce(client.ip or "unknown")
    cart_id = new_id()
    now = utc_now()
    record = audit.build_record(guest_actor(cart_id, client), "cart.create", "cart", cart_id, after={"guest": True})
    store.insert_guest_cart(store.new_cart(cart_id, None), record, now)
    ttl = GUEST_TOKEN_DAYS * 24 * 3600
    token = jwt_tokens.issue_purpose_token(CART_TOKEN_PURPOSE, cart_id, ttl)
    return CartCreated(cart_id=cart_id, cart_token=token, expires_at=now + timedelta(seconds=ttl)), state


def get_cart(owner: CartOwner) -> CartOut:
    """GET /cart: one GetItem and one BatchGetItem, whatever the cart and the catalog hold, and for a
    signed-in caller's non-empty cart one Query of their addresses and one of the zones; never writes."""
    return _answer(_cart_of(owner), owner.guest, owner.user_id)


def add_item(owner: CartOwner, request: AddItemRequest) -> CartOut:
    """POST /cart/items: a new line, or more of a line already holding this variant (capped at MAX_QUANTITY)."""
    offer = store.load_offer(request.product_id, request.variant_sku)
    if offer.product is None or not offer.sellable:
        raise NotFound("No such product.")
    if offer.variant is None:
        raise ValidationFailed.field("variantSku", "This product has no variant with this SKU.")
    product, variant, shop = offer.product, offer.variant, offer.store
    assert shop is not None

    def attempt() -> CartOut:
        cart = _cart_of(owner)
        line = find_line(cart, product.product_id, variant.sku)
        quantity = min(MAX_QUANTITY, (int(line["quantity"]) if line else 0) + request.quantity)
        if line is None and len(cart.lines) >= MAX_LINES:
            raise UnprocessableEntity(f"A cart holds at most {MAX_LINES} different items.")
        check_stock(offer, quantity)
        if line is None:
            line = {"id": new_id(), "productId": product.product_id, "storeId": product.store_id, "sku": variant.sku,
                    "quantity": quantity, "seenPrice": offer.unit_price, "currency": shop.currency,
                    "addedAt": utc_now().isoformat(), "name": product.name, "variantName": variant.name}  # fmt: skip
            cart.lines = [*cart.lines, line]
        else:  # the customer sees today's price on what they just added
            line.update(quantity=quantity, seenPrice=offer.unit_price, currency=shop.currency)
        _commit(cart, owner.actor, "cart.item_add", detail={"lineId": line["id"], "quantity": quantity})
        return _answer(cart, owner.guest, owner.user_id)

    return _retried(attempt)


def update_item(owner: CartOwner, item_id: str, request: UpdateItemRequest) -> CartOut:
    """PATCH /cart/items/{itemId}: set a line's quantity (checked against the stock now)."""

    def attempt() -> CartOut:
        cart = _cart_of(owner)
        line = line_by_id(cart, item_id)
        check_stock(store.load_offer(line["productId"], line["sku"], line["storeId"]), request.quantity)
        line["quantity"] = request.quantity
        _commit(cart, owner.actor, "cart.item_update", detail={"lineId": item_id, "quantity": request.quantity})
        return _answer(cart, owner.guest, owner.user_id)

    return _retried(attempt)


def remove_item(owner: CartOwner, item_id: str) -> CartOut:
    """DELETE /cart/items/{itemId}."""

    def attempt() -> CartOut:
        cart = _cart_of(owner)
        line_by_id(cart, item_id)
        cart.lines = [line for line in cart.lines if line["id"] != item_id]
        _commit(cart, owner.actor, "cart.item_remove", detail={"lineId": item_id})
        return _answer(cart, owner.guest, owner.user_id)

    return _retried(attempt)


def apply_coupon(owner: CartOwner, request: ApplyCouponRequest) -> CartOut:
    """POST /cart/coupon: checked now against this cart (422 with the reason), then kept on the cart."""

    def attempt() -> CartOut:
        cart = _cart_of(owner)
        cart.coupon_code = request.code
        result = priced(cart, owner.user_id, deliver_to=estimate_destination(cart, owner.user_id))
        if result.coupon_problem is not None:
            raise UnprocessableEntity(result.coupon_problem)
        _commit(cart, owner.actor, "cart.coupon_apply")
        return cart_out(result, guest=owner.guest)

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


def merge_guest_cart(parties: MergeParties) -> CartOut:
    """POST /cart/merge: the guest cart's lines into the customer's, the guest cart deleted, in one transaction.

    Same variant: quantities summed (capped at MAX_QUANTITY); the guest coupon is kept when the
    customer's cart has none. More than MAX_LINES lines: 422 and nothing changes. A guest cart
    already merged or gone: 404.
    """
    principal = parties.principal

    def attempt() -> CartOut:
        guest = _guest_cart(parties.guest_cart_id)
        mine = store.read_cart(principal.user_id) or store.new_cart(principal.user_id, principal.user_id)
        lines = merged_lines(mine.lines, guest.lines)
        if len(lines) > MAX_LINES:
            raise UnprocessableEntity(f"Merging would make {len(lines)} different items; a cart holds at most "
                                      f"{MAX_LINES}. Remove some first.")  # fmt: skip
        mine.lines = lines
        mine.coupon_code = mine.coupon_code or guest.coupon_code
        detail = {"guestCartId": guest.cart_id, "guestLines": len(guest.lines)}
        _commit(mine, principal.actor, "cart.merge", detail=detail, delete=guest)
        return _answer(mine, False, principal.user_id)

    return _retried(attempt)
