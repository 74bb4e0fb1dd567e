"""A cart priced from the current catalog: lines, per-store groups, the coupon's discount, totals.

:func:`souk.cart.store.load_view` reads everything a cart needs in one BatchGetItem
(products, variants, stores, the coupon and the caller's use of it: at most MAX_LINES * 3 + 2
= 92 keys, under the 100-key limit), whatever the catalog holds. :func:`price` is pure. The
cart route shows the result; checkout charges exactly it, so what the customer saw is what
they pay. :class:`Offer` is the catalog side of one variant a customer adds (the rules of
:mod:`souk.cart.service.carts` check its stock).

Delivery: given a :class:`Destination` (the active zones and the coordinates of the address:
the caller's default one in the cart, the chosen one at checkout), each store group's delivery
fee is :func:`souk.delivery.terms.delivery_terms` from the store to that address, the same
function the quote calls. Without an address (a guest, no default address) or when the store
cannot deliver there, the group's fee is 0 and ``delivery_status`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from souk.cart import discounts
from souk.cart.models import Cart, Coupon
from souk.catalog.models import Product, Store, Variant
from souk.delivery.schemas import ZoneOut
from souk.delivery.terms import DeliveryTerms, NoDelivery, delivery_terms

QUOTED = "quoted"  # the delivery status of a group whose fee was computed (else a souk.delivery.terms.Reason)
NO_ADDRESS = "No delivery address: sign in and set a default address with coordinates to see the delivery fee."


@dataclass
class PricedLine:
    line: dict[str, Any]  # the stored line
    product: Product | None
    variant: Variant | None
    unit_price: int  # current unit price (minor units); the seen price if the product is gone
    available: int  # units in stock now (0 when unavailable)
    # None when the line can be bought: "unavailable" (gone, hidden, store closed) or "insufficient_stock"
    problem: str | None

    @property
    def quantity(self) -> int:
        return int(self.line["quantity"])

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def price_changed(self) -> bool:
        return self.unit_price != int(self.line["seenPrice"])


@dataclass
class StoreGroup:
    store_id: str
    store: Store | None
    currency: str
    lines: list[PricedLine] = field(default_factory=list)
    discount: int = 0
    delivery_fee: int = 0  # the delivery terms' fee when quoted, else 0
    delivery_status: str = "no_address"  # QUOTED, or why there is no fee: souk.delivery.terms.Reason
    delivery_problem: str | None = None  # the reason in words (None when quoted)
    delivery: DeliveryTerms | None = None  # the zone, fee, distance and ETA when quoted

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines if line.problem != "unavailable")

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.delivery_fee


@dataclass
class PricedCart:
    cart: Cart
    lines: list[PricedLine]
    groups: list[StoreGroup]
    coupon: Coupon | None
    coupon_problem: str | None  # why the applied coupon gives nothing now (None when it applies or none is set)

    @property
    def problems(self) -> list[PricedLine]:
        return [line for line in self.lines if line.problem is not None]

    def totals(self) -> dict[str, int]:
        """Total per currency (a cart may hold stores selling in different currencies)."""
        out: dict[str, int] = {}
        for group in self.groups:
            out[group.currency] = out.get(group.currency, 0) + group.total
        return out


@dataclass(frozen=True)
class Destination:
    """Where a cart would be delivered: the active zones, the courier speed (for ETAs) and the
    address's (lat, lng), None when there is no address to deliver to."""

    at: tuple[float, float] | None
    zones: list[ZoneOut] = field(default_factory=list)
    speed_kmh: float = 25.0


def price_delivery(group: StoreGroup, destination: Destination | None) -> None:
    """Set the group's delivery fee and status from :func:`souk.delivery.terms.delivery_terms`."""
    shop = group.store
    address_at = destination.at if destination is not None and destination.at is not None else (None, None)
    store_at = (shop.lat, shop.lng) if shop is not None else (None, None)
    zones = destination.zones if destination is not None else []
    speed = destination.speed_kmh if destination is not None else 25.0
    try:
        terms = delivery_terms(zones, store_at, address_at, currency=group.currency, speed_kmh=speed)
    except NoDelivery as refused:
        problem = refused.message
        if refused.reason == "no_address" and address_at[0] is None:
            problem = NO_ADDRESS
        group.delivery_fee, group.delivery_status, group.delivery_problem = 0, refused.reason, problem
        group.delivery = None
        return
    group.delivery_fee, group.delivery_status, group.delivery_problem = terms.fee.amount, QUOTED, None
    group.delivery = terms


@dataclass
class CatalogView:
    products: dict[str, Product]
    variants: dict[tuple[str, str], Variant]
    stores: dict[str, Store]
    coupon: Coupon | None
    coupon_uses: int


@dataclass(frozen=True)
class Offer:
    """The catalog side of one variant: its product, the variant and the product's store (each None when gone)."""

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


def _price_line(line: dict[str, Any], view: CatalogView) -> PricedLine:
    product = view.products.get(line["productId"])
    variant = view.variants.get((line["productId"], line["sku"]))
    store = view.stores.get(line["storeId"])
    if product is None or variant is None or product.status != "active" or store is None or store.status != "approved":
        return PricedLine(line, product, variant, int(line["seenPrice"]), 0, "unavailable")
    price = int(variant.price_amount) if variant.price_amount is not None else int(product.price_amount)
    available = max(0, int(variant.stock))
    problem = "insufficient_stock" if int(line["quantity"]) > available else None
    return PricedLine(line, product, variant, price, available, problem)


def price(cart: Cart, view: CatalogView, now: datetime, destination: Destination | None = None) -> PricedCart:
    """Price every line from ``view``, group by store (first-added first), apply the coupon, price
    each store's delivery to ``destination`` (none: no fee, status ``no_address``)."""
    lines = [_price_line(line, view) for line in cart.lines]
    groups: dict[str, StoreGroup] = {}
    for priced in lines:
        store_id = priced.line["storeId"]
        if store_id not in groups:
            store = view.stores.get(store_id)
            groups[store_id] = StoreGroup(store_id, store, store.currency if store else priced.line["currency"])
        groups[store_id].lines.append(priced)
    ordered = list(groups.values())
    problem = None
    if cart.coupon_code:
        problem = discounts.coupon_problem(view.coupon, now, user_uses=view.coupon_uses)
        if problem is None and view.coupon is not None:
            subtotals = [discounts.StoreSubtotal(g.store_id, g.currency, g.subtotal) for g in ordered]
            shares, problem = discounts.allocate(view.coupon, subtotals)
            for group in ordered:
                group.discount = shares.get(group.store_id, 0)
    for group in ordered:
        price_delivery(group, destination)
    return PricedCart(cart, lines, ordered, view.coupon, problem)
