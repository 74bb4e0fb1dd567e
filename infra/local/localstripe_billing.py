"""Stripe Billing for localstripe: prices, subscriptions and their invoices, the way the API has them now.

localstripe (PyPI) bills the 2017 way: plans, no prices, no ``payment_behavior=default_incomplete``,
a subscription period on the subscription, no ``confirmation_secret``. ``localstripe_loopback.py``
loads this module inside localstripe's own virtualenv and calls :func:`install` on its aiohttp app,
so the real ``stripe`` SDK calls of ``souk.billing.gateway`` run unchanged against it:
``customers.create`` (with an idempotency key), ``subscriptions.create`` (``default_incomplete``,
``expand=["latest_invoice.payment_intent", "latest_invoice.confirmation_secret"]``),
``subscriptions.update`` (a new price with ``proration_behavior``, ``cancel_at_period_end``),
``subscriptions.cancel``, ``invoices.list/retrieve/pay``, ``prices.create/retrieve/list``.
Our routes take over localstripe's for these paths (a middleware, innermost: localstripe's
auth and error handling still apply); the objects live in its store (``DELETE /_config/data``
forgets them) and every event goes through its ``schedule_webhook``, signed for each webhook
registered under ``/_config/webhooks`` exactly like its own events.

What Stripe does and this does too:

- two recurring monthly USD prices always exist, :data:`SEEDED_PRICES` (``price_souk_pro``
  2900, ``price_souk_enterprise`` 9900), seeded at start and again after ``DELETE /_config/data``;
  ``infra/local/localstripe.py`` exports their ids as ``STRIPE_PRICE_PRO``/``STRIPE_PRICE_ENTERPRISE``;
- a subscription's period is on its items (``items.data[].current_period_start/end``, one
  interval of the price); its first invoice (``billing_reason=subscription_create``) is
  finalized at once, ``open``, with a PaymentIntent (``requires_payment_method``) whose
  ``client_secret`` is in ``latest_invoice.confirmation_secret`` (and ``latest_invoice.payment_intent``)
  when expanded; ``default_incomplete`` leaves the subscription ``incomplete`` until that
  intent is confirmed with a card (``payment_method=pm_card_visa`` on confirm, or attached
  before); ``allow_incomplete``/``error_if_incomplete`` charge the default payment method now;
- a paid first invoice makes the subscription ``active`` (``invoice.paid``,
  ``invoice.payment_succeeded``, ``customer.subscription.updated`` with ``previous_attributes``)
  and, with ``payment_settings.save_default_payment_method=on_subscription``, the card its
  ``default_payment_method``; a declined card is a 402 ``card_error`` and ``invoice.payment_failed``,
  the subscription staying ``incomplete``;
- a price or quantity change with ``create_prorations`` (the default) leaves two pending proration
  invoice items (unused time credited, remaining time charged, pro rata of the period left:
  ``GET /v1/invoiceitems?customer=``) that the next invoice bills; ``always_invoice`` bills them
  at once; ``none`` makes none; ``cancel_at_period_end`` sets ``cancel_at`` to the period end;
- ``DELETE /v1/subscriptions/{id}``: ``canceled`` with ``canceled_at``/``ended_at``
  (``customer.subscription.deleted``); an unknown or already canceled one is a 404 ``resource_missing``
  (Stripe says "No such subscription" for both); updating a canceled one is a 400;
- ``Idempotency-Key`` on every POST of these routes and on ``POST /v1/customers`` (as in
  ``localstripe_connect.py``: the same key and parameters replay the first answer).

Dev hooks, not in Stripe's API (authenticated with any ``sk_test_`` key like the rest):

- ``POST /billing/invoices/{id}/pay``: the open invoice is paid (out of band, no card), with the
  events of a paid invoice; how a test pays the first invoice without a card flow, or settles a
  ``past_due`` one;
- ``POST /billing/subscriptions/{id}/renew``: the period ends: the next one starts and its
  invoice (``subscription_cycle``, with the pending prorations) is paid (``invoice.created``,
  ``invoice.finalized``, ``invoice.paid``, ``customer.subscription.updated``; ``past_due`` or
  ``unpaid`` turn ``active``); with ``cancel_at_period_end`` the subscription ends instead
  (``customer.subscription.deleted``);
- ``POST /billing/subscriptions/{id}/fail``: the renewal's payment fails: the next period starts,
  its invoice stays ``open`` (``invoice.payment_failed``) and the subscription turns ``past_due``
  (``customer.subscription.updated``); on a ``past_due`` one it is a failed retry of the same
  invoice (``attempt_count`` + 1, ``invoice.payment_failed`` again);
- ``POST /billing/subscriptions/{id}/unpaid``: the retries are over: ``unpaid``
  (``customer.subscription.updated``), the invoice left open.
"""

from __future__ import annotations

import calendar
import copy
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import (
    Charge,
    Customer,
    InvoiceItem,
    List,
    PaymentIntent,
    PaymentMethod,
    Product,
    StripeObject,
    random_id,
    store,
    try_convert_to_bool,
    try_convert_to_int,
)
from localstripe.server import get_post_data, json_response, unflatten_data
from localstripe_connect import (  # loaded first by localstripe_loopback.py, under this name
    ConnectObject,
    _changes,
    _check_params,
    _emit,
    _invalid,
    _list,
    _metadata,
    _no_such,
    _string,
    idempotent,
)

# The prices Souk's plans bill through: (id, product id, product name, unit amount in cents).
SEEDED_PRICES = [
    ("price_souk_pro", "prod_souk_pro", "Souk Pro", 2900),
    ("price_souk_enterprise", "prod_souk_enterprise", "Souk Enterprise", 9900),
]
INTERVALS = ("day", "week", "month", "year")
RETRY_DAYS = 3  # a failed renewal's next attempt, as Smart Retries' first


def _now() -> int:
    return int(time.time())


def _add_interval(start: int, interval: str, count: int) -> int:
    """``start`` plus ``count`` intervals, months and years by the calendar (31 Jan + 1 month: 28/29 Feb)."""
    if interval == "day":
        return start + count * 86400
    if interval == "week":
        return start + count * 7 * 86400
    moment = datetime.fromtimestamp(start, UTC)
    months = count * (12 if interval == "year" else 1)
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def _bool(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    converted = try_convert_to_bool(value)
    if not isinstance(converted, bool):
        raise _invalid(f"Invalid boolean: {value}", param=name, code="parameter_invalid_boolean")
    return converted


def _int(value: Any, param: str, *, minimum: int = 0) -> int:
    number = try_convert_to_int(value)
    if not isinstance(number, int) or isinstance(number, bool) or number < minimum:
        raise _invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")
    return number


def _unsupported(name: str) -> UserError:
    return _invalid(f"localstripe_billing does not support `{name}` (Stripe does).", param=name)


# ---------------------------------------------------------------- expansion


def _retrieve_any(object_id: str) -> Any:
    """The stored object of any id (ours or localstripe's)."""
    prefixes = {"in_": "invoice", "pi_": "payment_intent", "sub_": "subscription", "cus_": "customer",
                "price_": "price", "prod_": "product", "ch_": "charge", "ii_": "invoiceitem"}  # fmt: skip
    for prefix, name in prefixes.items():
        if object_id.startswith(prefix):
            found = store.get(f"{name}:{object_id}")
            if found is None:
                raise _no_such(name.replace("_", " "), object_id)
            return found
    cls = StripeObject._get_class_for_id(object_id)
    if cls is None:
        raise _no_such("object", object_id)
    return cls._api_retrieve(object_id)


def _grouped(paths: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        groups.setdefault(head, [])
        if rest:
            groups[head].append(rest)
    return groups


def _expand_value(value: Any, rests: list[str], path: str) -> Any:
    if isinstance(value, str):
        return _retrieve_any(value)._export(expand=rests or None)
    if isinstance(value, list):
        return [_expand_value(item, rests, path) for item in value]
    if isinstance(value, dict):
        _expand_dict(value, rests, path)
    return value


def _expand_dict(obj: dict[str, Any], paths: list[str], prefix: str = "") -> None:
    for head, rests in _grouped(paths).items():
        if head not in obj:
            raise _invalid(f"This property cannot be expanded ({prefix}{head}).", param="expand")
        obj[head] = _expand_value(obj[head], rests, f"{prefix}{head}.")


def _expand_paths(expand: Any) -> list[str]:
    if expand is None:
        return []
    if isinstance(expand, str):
        expand = [expand]
    if not isinstance(expand, list) or not all(isinstance(path, str) and path for path in expand):
        raise _invalid("Invalid array", param="expand")
    if any(len(path.split(".")) > 4 for path in expand):
        raise _invalid("You cannot expand more than 4 levels of a property.", param="expand")
    return expand


class BillingObject(ConnectObject):
    """Connect's shared behaviour, and Stripe's expansion (nested, and of fields shown only when expanded)."""

    _expandable_only: tuple[str, ...] = ()

    def _export(self, expand: Any = None) -> dict[str, Any]:
        paths = _expand_paths(expand)
        obj = super()._export()
        for name in self._expandable_only:
            obj.pop(name, None)
        for head, rests in _grouped(paths).items():
            if head in self._expandable_only:
                obj[head] = _expand_value(getattr(self, head), rests, f"{head}.")
            else:
                _expand_dict(obj, [f"{head}.{rest}" for rest in rests] or [head])
        return obj


# ---------------------------------------------------------------- prices


class Price(BillingObject, StripeObject):
    object = "price"
    _id_prefix = "price_"
    _stripe_name = "price"

    def __init__(self, id: str | None = None, **data: Any) -> None:
        _check_params(data, {"currency", "unit_amount", "recurring", "product", "product_data", "nickname",
                             "lookup_key", "metadata", "active"})  # fmt: skip
        currency = (_string(data, "currency", required=True) or "").lower()
        amount = _int(data.get("unit_amount"), "unit_amount") if data.get("unit_amount") is not None else None
        if amount is None:
            raise _invalid("Missing required param: unit_amount.", param="unit_amount", code="parameter_missing")
        recurring = data.get("recurring")
        if recurring is not None:
            if not isinstance(recurring, dict) or recurring.get("interval") not in INTERVALS:
                raise _invalid("Invalid recurring[interval]: must be one of day, week, month, or year",
                               param="recurring[interval]")  # fmt: skip
            recurring = {"interval": recurring["interval"],
                         "interval_count": _int(recurring.get("interval_count", 1), "recurring[interval_count]",
                                                minimum=1),
                         "meter": None, "trial_period_days": None, "usage_type": "licensed"}  # fmt: skip
        product = data.get("product")
        product_data = data.get("product_data")
        if (product is None) == (product_data is None):
            raise _invalid("You must specify either `product` or `product_data` when creating a price.",
                           param="product")  # fmt: skip
        if product is not None and store.get(f"product:{product}") is None:
            raise _no_such("product", str(product), param="product", status=400)
        if product_data is not None and (not isinstance(product_data, dict) or not product_data.get("name")):
            raise _invalid("Missing required param: product_data[name].", param="product_data[name]",
                           code="parameter_missing")  # fmt: skip
        metadata = _metadata(data.get("metadata"))
        active = _bool(data, "active")

        # All exceptions must be raised before this point.
        super().__init__(id=id or "price_1" + random_id(23))
        self.active = True if active is None else active
        self.billing_scheme = "per_unit"
        self.currency = currency
        self.lookup_key = _string(data, "lookup_key")
        self.metadata = metadata
        self.nickname = _string(data, "nickname")
        self.product = product or _product(None, str(product_data["name"]))
        self.recurring = recurring
        self.tax_behavior = "unspecified"
        self.type = "recurring" if recurring else "one_time"
        self.unit_amount = amount
        self.unit_amount_decimal = str(amount)

    @classmethod
    def _api_list_all(cls, url: str, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> List:
        _check_params(kwargs, {"active", "product", "type", "currency", "lookup_keys"})
        prices = cls._all()
        active = _bool(kwargs, "active")
        if active is not None:
            prices = [price for price in prices if price.active == active]
        for name in ("product", "type", "currency"):
            if kwargs.get(name) is not None:
                prices = [price for price in prices if getattr(price, name) == kwargs[name]]
        if kwargs.get("lookup_keys") is not None:
            keys = kwargs["lookup_keys"] if isinstance(kwargs["lookup_keys"], list) else [kwargs["lookup_keys"]]
            prices = [price for price in prices if price.lookup_key in keys]
        return _list(url, prices, limit, starting_after)


def _product(product_id: str | None, name: str) -> str:
    """A localstripe product, made without its ``product.created`` event (seeding must not send any)."""
    product = Product.__new__(Product)
    StripeObject.__init__(product, product_id or "prod_" + random_id(14))
    product.name, product.type, product.active, product.caption = name, "service", True, None
    product.description, product.attributes, product.shippable, product.url = None, None, False, None
    product.statement_descriptor, product.metadata = None, {}
    return str(product.id)


def seed_prices() -> None:
    """The prices of :data:`SEEDED_PRICES`, when missing (at start and after ``DELETE /_config/data``)."""
    for price_id, product_id, name, amount in SEEDED_PRICES:
        if store.get(f"price:{price_id}") is not None:
            continue
        if store.get(f"product:{product_id}") is None:
            _product(product_id, name)
        Price(id=price_id, currency="usd", unit_amount=amount, product=product_id,
              recurring={"interval": "month", "interval_count": 1}, lookup_key=price_id.removeprefix("price_"),
              nickname=name)  # fmt: skip


def _price(price_id: Any, param: str) -> Price:
    if not isinstance(price_id, str) or not price_id:
        raise _invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")
    price = store.get(f"price:{price_id}")
    if price is None:
        raise _no_such("price", price_id, param=param, status=400)
    if not price.recurring:
        raise _invalid(f"The price specified ({price_id}) is not recurring: a subscription needs a recurring price.",
                       param=param)  # fmt: skip
    if not price.active:
        raise _invalid(f"The price specified ({price_id}) is inactive.", param=param)
    return price


# ---------------------------------------------------------------- invoices


class Invoice(BillingObject, StripeObject):
    """A subscription's invoice; localstripe's PaymentIntent calls ``_on_payment_success``/``_failure``."""

    object = "invoice"
    _id_prefix = "in_"
    _stripe_name = "invoice"
    _expandable_only = ("confirmation_secret",)

    def __init__(self, subscription: Subscription, lines: list[dict[str, Any]], reason: str,
                 period: tuple[int, int]) -> None:  # fmt: skip
        super().__init__(id="in_1" + random_id(23))
        customer = Customer._api_retrieve(subscription.customer)
        self.account_country = "US"
        self.attempt_count = 0
        self.attempted = False
        self.auto_advance = True
        self.billing_reason = reason
        self.collection_method = "charge_automatically"
        self.currency = subscription.currency
        self.customer = subscription.customer
        self.customer_email = customer.email
        self.customer_name = customer.name
        self.description = None
        self.hosted_invoice_url = f"https://invoice.stripe.com/i/localstripe/{self.id}"
        self.invoice_pdf = f"https://pay.stripe.com/invoice/localstripe/{self.id}/pdf"
        self.last_finalization_error = None
        self.metadata: dict[str, str] = {}
        self.next_payment_attempt: int | None = None
        self.number = f"SOUK-{self._sequence + 1:06d}"
        self.paid_out_of_band = False
        self.parent = {"quote_details": None, "type": "subscription_details",
                       "subscription_details": {"metadata": dict(subscription.metadata),
                                                "subscription": subscription.id}}  # fmt: skip
        self.payment_intent: str | None = None  # before API 2025-03-31; now under `payments`
        self.period_start, self.period_end = period
        self.status = "draft"
        self.status_transitions: dict[str, int | None] = {"finalized_at": None, "marked_uncollectible_at": None,
                                                          "paid_at": None, "voided_at": None}  # fmt: skip
        self._lines = [{**line, "id": "il_1" + random_id(23), "object": "line_item", "invoice": self.id}
                       for line in lines]  # fmt: skip
        self._subscription = subscription.id

    @property
    def lines(self) -> dict[str, Any]:
        return {"object": "list", "data": copy.deepcopy(self._lines), "has_more": False,
                "total_count": len(self._lines), "url": f"/v1/invoices/{self.id}/lines"}  # fmt: skip

    @property
    def subtotal(self) -> int:
        return sum(int(line["amount"]) for line in self._lines)

    @property
    def total(self) -> int:
        return self.subtotal

    @property
    def amount_due(self) -> int:
        return max(0, self.total)

    @property
    def amount_paid(self) -> int:
        return self.amount_due if self.status == "paid" else 0

    @property
    def amount_remaining(self) -> int:
        return self.amount_due - self.amount_paid

    @property
    def payments(self) -> dict[str, Any]:
        data = []
        if self.payment_intent:
            data.append({"object": "invoice_payment", "id": "inpay_" + self.payment_intent[3:], "invoice": self.id,
                         "is_default": True, "amount_paid": self.amount_paid, "amount_requested": self.amount_due,
                         "currency": self.currency, "status": "paid" if self.status == "paid" else "open",
                         "payment": {"type": "payment_intent", "payment_intent": self.payment_intent}})  # fmt: skip
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/invoice_payments"}

    @property
    def confirmation_secret(self) -> dict[str, Any] | None:
        intent = store.get(f"payment_intent:{self.payment_intent}") if self.payment_intent else None
        if intent is None or self.status != "open":
            return None
        return {"client_secret": intent.client_secret, "type": "payment_intent"}

    def _subscription_obj(self) -> Subscription:
        return store[f"subscription:{self._subscription}"]  # type: ignore[no-any-return]

    def _finalize(self) -> None:
        """draft → open (``invoice.created``, ``invoice.finalized``), with an intent to pay it."""
        self.status_transitions["finalized_at"] = _now()
        if self.amount_due > 0:
            intent = PaymentIntent(amount=self.amount_due, currency=self.currency, customer=self.customer,
                                   metadata={})  # fmt: skip
            intent.invoice = self.id
            intent.description = "Subscription creation" if self.billing_reason == "subscription_create" else \
                "Subscription update"  # fmt: skip
            self.payment_intent = intent.id
        self.status = "open"
        self.next_payment_attempt = None if self.billing_reason == "subscription_create" else _now()
        _emit("invoice.created", self)
        _emit("invoice.finalized", self)
        if self.amount_due == 0:
            self._mark_paid()

    def _mark_paid(self, *, out_of_band: bool = False) -> None:
        before = self._subscription_obj()._export()
        self.status = "paid"
        self.paid_out_of_band = out_of_band
        self.attempted = True
        self.attempt_count = max(self.attempt_count, 1)
        self.next_payment_attempt = None
        self.status_transitions["paid_at"] = _now()
        _emit("invoice.paid", self)
        _emit("invoice.payment_succeeded", self)
        self._subscription_obj()._invoice_paid(self, before)

    def _charge(self, payment_method: str) -> None:
        """Pay with ``payment_method`` through the intent (a declined card: 402, ``invoice.payment_failed``)."""
        intent = store.get(f"payment_intent:{self.payment_intent}") if self.payment_intent else None
        if intent is None:
            self._mark_paid()
            return
        _confirm_intent(intent, payment_method)

    # localstripe's PaymentIntent calls these on the invoice it names.
    def _on_payment_success(self) -> None:
        if self.status == "open":
            self._mark_paid()

    def _on_payment_failure_now(self) -> None:
        self._failed("Your card was declined.")

    def _on_payment_failure_later(self) -> None:
        self._failed("Your card was declined.")

    def _failed(self, message: str) -> None:
        self.attempted = True
        self.attempt_count += 1
        self.next_payment_attempt = _now() + RETRY_DAYS * 86400 if self.billing_reason != "subscription_create" \
            else None  # fmt: skip
        self.last_finalization_error = {"type": "card_error", "code": "card_declined", "message": message}
        _emit("invoice.payment_failed", self)
        subscription = self._subscription_obj()
        if subscription.status in ("active", "trialing"):
            subscription._set(status="past_due")

    @classmethod
    def _api_list_all(cls, url: str, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> List:
        _check_params(kwargs, {"customer", "subscription", "status", "collection_method", "created"})
        invoices = [invoice for invoice in cls._all() if isinstance(invoice, Invoice)]
        if kwargs.get("customer") is not None:
            invoices = [invoice for invoice in invoices if invoice.customer == kwargs["customer"]]
        if kwargs.get("subscription") is not None:
            invoices = [invoice for invoice in invoices if invoice._subscription == kwargs["subscription"]]
        if kwargs.get("status") is not None:
            invoices = [invoice for invoice in invoices if invoice.status == kwargs["status"]]
        return _list(url, invoices, limit, starting_after)

    @classmethod
    def _api_retrieve(cls, id: str) -> Invoice:
        found = store.get(f"invoice:{id}")
        if not isinstance(found, Invoice):
            raise _no_such("invoice", id)
        return found


def _confirm_intent(intent: Any, payment_method: str) -> None:
    """localstripe's confirm, with a payment method given (it refuses one) or replaced after a decline.

    A card Stripe declines (``pm_card_visa_chargeDeclined``, 4000000000000002...) is declined here
    when charged, as on Stripe; localstripe alone declines those only when attached to a customer.
    """
    method = PaymentMethod._api_retrieve(payment_method)
    intent.payment_method = method.id
    intent.latest_charge = None  # a new attempt after a declined one
    intent.next_action = None
    if method._requires_authentication():
        intent._confirm(on_failure_now=intent._report_failure)  # 3-D Secure: next_action, as localstripe does
        return
    charge = Charge(amount=intent.amount, currency=intent.currency, customer=intent.customer, source=method.id,
                    capture=intent.capture_method != "manual")  # fmt: skip
    charge.payment_intent = intent.id
    intent.latest_charge = charge
    if method._attaching_is_declined():
        charge._authorized = False
    charge._initialize_charge(intent._on_success, intent._report_failure, intent._report_async_failure)


def _line(subscription: Subscription, item: dict[str, Any], period: tuple[int, int]) -> dict[str, Any]:
    price = store[f"price:{item['price']}"]
    quantity = int(item["quantity"])
    return {"amount": price.unit_amount * quantity, "currency": price.currency,
            "description": f"{quantity} x {_product_name(price)} (at ${price.unit_amount / 100:.2f} / "
                           f"{price.recurring['interval']})",
            "discountable": True, "livemode": False, "metadata": {}, "proration": False,
            "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                       "subscription_item_details": {"proration": False, "subscription": subscription.id,
                                                     "subscription_item": item["id"], "invoice_item": None}},
            "period": {"start": period[0], "end": period[1]},
            "pricing": {"type": "price_details", "unit_amount_decimal": str(price.unit_amount),
                        "price_details": {"price": price.id, "product": price.product}},
            "quantity": quantity}  # fmt: skip


def _product_name(price: Price) -> str:
    product = store.get(f"product:{price.product}")
    return str(product.name) if product is not None else str(price.product)


def _pending_line(invoice_item: Any) -> dict[str, Any]:
    return {"amount": invoice_item.amount, "currency": invoice_item.currency, "description": invoice_item.description,
            "discountable": False, "livemode": False, "metadata": dict(invoice_item.metadata),
            "proration": invoice_item.proration,
            "parent": {"type": "invoice_item_details", "subscription_item_details": None,
                       "invoice_item_details": {"invoice_item": invoice_item.id, "proration": invoice_item.proration,
                                                "subscription": invoice_item.subscription}},
            "period": dict(invoice_item.period), "pricing": None, "quantity": 1}  # fmt: skip


# ---------------------------------------------------------------- subscriptions


class Subscription(BillingObject, StripeObject):
    object = "subscription"
    _id_prefix = "sub_"
    _stripe_name = "subscription"

    def __init__(self, **data: Any) -> None:
        _check_params(data, {"customer", "items", "metadata", "payment_behavior", "payment_settings",
                             "default_payment_method", "collection_method", "description", "proration_behavior",
                             "off_session", "cancel_at_period_end", "trial_period_days", "trial_end",
                             "billing_cycle_anchor", "coupon", "discounts", "automatic_tax"})  # fmt: skip
        for name in ("trial_period_days", "trial_end", "billing_cycle_anchor", "coupon", "discounts"):
            if data.get(name) not in (None, ""):
                raise _unsupported(name)
        customer_id = _string(data, "customer", required=True) or ""
        customer = store.get(f"customer:{customer_id}")
        if customer is None:
            raise _no_such("customer", customer_id, param="customer", status=400)
        items = data.get("items")
        if not isinstance(items, list) or not items:
            raise _invalid("Missing required param: items.", param="items", code="parameter_missing")
        prices = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise _invalid("Invalid hash", param=f"items[{index}]")
            _check_params(item, {"price", "quantity", "metadata"})
            prices.append((_price(item.get("price"), f"items[{index}][price]"),
                           _int(item.get("quantity", 1), f"items[{index}][quantity]", minimum=1),
                           _metadata(item.get("metadata"))))  # fmt: skip
        if (
            len({price.currency for price, _, _ in prices}) > 1
            or len({(price.recurring["interval"], price.recurring["interval_count"]) for price, _, _ in prices}) > 1
        ):
            raise _invalid("The prices of a subscription must share one currency and one billing interval.",
                           param="items")  # fmt: skip
        behavior = _string(data, "payment_behavior") or "allow_incomplete"
        if behavior not in ("default_incomplete", "allow_incomplete", "error_if_incomplete"):
            raise _invalid(f"Invalid payment_behavior: must be one of default_incomplete, allow_incomplete or "
                           f"error_if_incomplete ({behavior!r})", param="payment_behavior")  # fmt: skip
        if _string(data, "collection_method") not in (None, "charge_automatically"):
            raise _unsupported("collection_method")
        settings = data.get("payment_settings") or {}
        if not isinstance(settings, dict):
            raise _invalid("Invalid hash", param="payment_settings")
        save = settings.get("save_default_payment_method") or "off"
        if save not in ("off", "on_subscription"):
            raise _invalid(f"Invalid payment_settings[save_default_payment_method]: {save}",
                           param="payment_settings[save_default_payment_method]")  # fmt: skip
        default_method = _string(data, "default_payment_method")
        if default_method:
            PaymentMethod._api_retrieve(default_method)
        charge_with = default_method or customer.invoice_settings.get("default_payment_method")
        if behavior != "default_incomplete" and not charge_with:
            raise _invalid("This customer has no attached payment source or default payment method. Please consider "
                           "adding a default payment method.", code="resource_missing")  # fmt: skip
        metadata = _metadata(data.get("metadata"))
        cancel_at_period_end = bool(_bool(data, "cancel_at_period_end"))

        # All exceptions must be raised before this point.
        super().__init__(id="sub_1" + random_id(23))
        now = _now()
        interval, count = prices[0][0].recurring["interval"], prices[0][0].recurring["interval_count"]
        self.application = None
        self.application_fee_percent = None
        self.automatic_tax = {"enabled": False, "liability": None}
        self.billing_cycle_anchor = now
        self.cancel_at: int | None = None
        self.cancel_at_period_end = False
        self.canceled_at: int | None = None
        self.cancellation_details = {"comment": None, "feedback": None, "reason": None}
        self.collection_method = "charge_automatically"
        self.currency = prices[0][0].currency
        self.customer = customer_id
        self.days_until_due = None
        self.default_payment_method = default_method
        self.description = _string(data, "description")
        self.discounts: list[str] = []
        self.ended_at: int | None = None
        self.invoice_settings = {"account_tax_ids": None, "issuer": {"type": "self"}}
        self.latest_invoice: str | None = None
        self.metadata = metadata
        self.payment_settings = {"payment_method_options": None, "payment_method_types": None,
                                 "save_default_payment_method": save}  # fmt: skip
        self.pending_setup_intent = None
        self.pending_update = None
        self.start_date = now
        self.status = "incomplete"
        self.trial_end = None
        self.trial_start = None
        self._interval = (interval, count)
        self._period = (now, _add_interval(now, interval, count))
        self._items = [{"id": "si_" + random_id(14), "price": price.id, "quantity": quantity, "metadata": meta,
                        "created": now} for price, quantity, meta in prices]  # fmt: skip
        invoice = Invoice(self, [_line(self, item, self._period) for item in self._items], "subscription_create",
                          self._period)  # fmt: skip
        self.latest_invoice = invoice.id
        _emit("customer.subscription.created", self)
        invoice._finalize()
        if cancel_at_period_end:
            self._set(cancel_at_period_end=True, cancel_at=self._period[1])
        if behavior != "default_incomplete" and invoice.status == "open" and charge_with:
            try:
                invoice._charge(charge_with)
            except UserError:
                if behavior == "error_if_incomplete":
                    self._set(status="incomplete_expired")
                    raise
                # allow_incomplete: the subscription stays incomplete, its invoice open.

    @property
    def items(self) -> dict[str, Any]:
        data = [{"object": "subscription_item", "id": item["id"], "created": item["created"],
                 "current_period_start": self._period[0], "current_period_end": self._period[1],
                 "discounts": [], "metadata": dict(item["metadata"]),
                 "price": store[f"price:{item['price']}"]._export(), "quantity": item["quantity"],
                 "subscription": self.id, "tax_rates": []} for item in self._items]  # fmt: skip
        return {"object": "list", "data": data, "has_more": False, "total_count": len(data),
                "url": f"/v1/subscription_items?subscription={self.id}"}  # fmt: skip

    def _set(self, **changes: Any) -> None:
        """Change attributes; one ``customer.subscription.updated`` with what changed, if anything did."""
        before = self._export()
        for name, value in changes.items():
            setattr(self, name, value)
        self._updated(before)

    def _updated(self, before: dict[str, Any]) -> None:
        previous = _changes(before, self._export())
        if previous:
            _emit("customer.subscription.updated", self, previous_attributes=previous)

    def _invoice_paid(self, invoice: Invoice, before: dict[str, Any]) -> None:
        if self.status in ("incomplete", "past_due", "unpaid"):
            self.status = "active"
        intent = store.get(f"payment_intent:{invoice.payment_intent}") if invoice.payment_intent else None
        if (intent is not None and intent.payment_method and self.default_payment_method is None
                and self.payment_settings["save_default_payment_method"] == "on_subscription"):  # fmt: skip
            self.default_payment_method = intent.payment_method
        self._updated(before)

    def _open_renewal(self) -> Invoice | None:
        invoice = store.get(f"invoice:{self.latest_invoice}") if self.latest_invoice else None
        renewal = isinstance(invoice, Invoice) and invoice.billing_reason != "subscription_create"
        if renewal and invoice.status == "open":
            return invoice
        return None

    def _bill(self, reason: str, lines: list[dict[str, Any]], period: tuple[int, int]) -> Invoice:
        """A finalized invoice of ``lines`` plus the pending invoice items of this subscription."""
        pending = [ii for ii in InvoiceItem._api_list_all(None, customer=self.customer, limit=100)._list
                   if ii.subscription == self.id]  # fmt: skip
        invoice = Invoice(self, lines + [_pending_line(ii) for ii in pending], reason, period)
        for ii in pending:
            ii.invoice = invoice.id
        self.latest_invoice = invoice.id
        return invoice

    # ------------------------------------------------ API

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Subscription:
        subscription = cls._api_retrieve(id)
        _check_params(data, {"items", "proration_behavior", "cancel_at_period_end", "cancel_at", "metadata",
                             "payment_behavior", "default_payment_method", "description", "proration_date",
                             "cancellation_details", "off_session", "payment_settings"})  # fmt: skip
        if subscription.status in ("canceled", "incomplete_expired") and set(data) - {
            "metadata",
            "cancellation_details",
        }:
            raise _invalid("A canceled subscription can only update its cancellation_details and metadata.")
        proration = _string(data, "proration_behavior") or "create_prorations"
        if proration not in ("create_prorations", "none", "always_invoice"):
            raise _invalid(f"Invalid proration_behavior: must be one of create_prorations, none or always_invoice "
                           f"({proration!r})", param="proration_behavior")  # fmt: skip
        new_items = [dict(item) for item in subscription._items]
        for index, change in enumerate(data.get("items") or []):
            if not isinstance(change, dict):
                raise _invalid("Invalid hash", param=f"items[{index}]")
            _check_params(change, {"id", "price", "quantity", "metadata", "deleted"})
            existing = next((item for item in new_items if item["id"] == change.get("id")), None)
            if change.get("id") is not None and existing is None:
                raise _invalid(f"No such subscription item: '{change['id']}'", param=f"items[{index}][id]",
                               code="resource_missing")  # fmt: skip
            if try_convert_to_bool(change.get("deleted")) is True:
                new_items = [item for item in new_items if item is not existing]
                continue
            target = existing if existing is not None else {"id": "si_" + random_id(14), "quantity": 1,
                                                             "metadata": {}, "created": _now()}  # fmt: skip
            if change.get("price") is not None or existing is None:
                price = _price(change.get("price"), f"items[{index}][price]")
                if (price.currency, (price.recurring["interval"], price.recurring["interval_count"])) != (
                    subscription.currency,
                    subscription._interval,
                ):
                    raise _invalid("The new price must have the currency and billing interval of the subscription.",
                                   param=f"items[{index}][price]")  # fmt: skip
                target["price"] = price.id
            if change.get("quantity") is not None:
                target["quantity"] = _int(change["quantity"], f"items[{index}][quantity]", minimum=1)
            if change.get("metadata") is not None:
                target["metadata"] = _metadata(change["metadata"], target["metadata"])
            if existing is None:
                new_items.append(target)
        if not new_items:
            raise _invalid("A subscription must keep at least one item.", param="items")
        cancel_at_period_end = _bool(data, "cancel_at_period_end")
        default_method = _string(data, "default_payment_method")
        if default_method:
            PaymentMethod._api_retrieve(default_method)
        if "cancel_at" in data and data["cancel_at"] not in (None, ""):
            raise _unsupported("cancel_at")

        # All exceptions must be raised before this point.
        before = subscription._export()
        if "metadata" in data:
            subscription.metadata = _metadata(data["metadata"], subscription.metadata)
        if "description" in data:
            subscription.description = _string(data, "description") or None
        if default_method is not None:
            subscription.default_payment_method = default_method or None
        if cancel_at_period_end is not None:
            subscription.cancel_at_period_end = cancel_at_period_end
            subscription.cancel_at = subscription._period[1] if cancel_at_period_end else None
            if not cancel_at_period_end:
                subscription.cancellation_details = {"comment": None, "feedback": None, "reason": None}
            else:
                subscription.cancellation_details = {**subscription.cancellation_details,
                                                     "reason": "cancellation_requested"}  # fmt: skip
        old = {item["id"]: item for item in subscription._items}
        subscription._items = new_items
        prorations = []
        if proration != "none" and subscription.status in ("active", "past_due", "trialing"):
            prorations = _prorate(subscription, old, new_items)
        subscription._updated(before)
        if proration == "always_invoice" and prorations:
            invoice = subscription._bill("subscription_update", [], subscription._period)
            invoice._finalize()
            charge_with = subscription._payment_method()
            if invoice.status == "open" and charge_with:
                invoice._charge(charge_with)
        return subscription

    @classmethod
    def _api_cancel(cls, id: str, **data: Any) -> Subscription:
        subscription = cls._api_retrieve(id)
        _check_params(data, {"invoice_now", "prorate", "cancellation_details"})
        if subscription.status in ("canceled", "incomplete_expired"):
            raise _no_such("subscription", id)  # Stripe's answer for a canceled one too
        subscription._end(_now(), "cancellation_requested")
        return subscription

    def _end(self, at: int, reason: str) -> None:
        self.status = "canceled"
        self.canceled_at = self.canceled_at or at
        self.ended_at = at
        self.cancellation_details = {**self.cancellation_details, "reason": reason}
        _emit("customer.subscription.deleted", self)

    @classmethod
    def _api_list_all(cls, url: str, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> List:
        _check_params(kwargs, {"customer", "status", "price"})
        subscriptions = [sub for sub in cls._all() if isinstance(sub, Subscription)]
        status = kwargs.get("status")
        if status is None:
            subscriptions = [sub for sub in subscriptions if sub.status not in ("canceled", "incomplete_expired")]
        elif status == "ended":
            subscriptions = [sub for sub in subscriptions if sub.status in ("canceled", "incomplete_expired")]
        elif status != "all":
            subscriptions = [sub for sub in subscriptions if sub.status == status]
        if kwargs.get("customer") is not None:
            subscriptions = [sub for sub in subscriptions if sub.customer == kwargs["customer"]]
        if kwargs.get("price") is not None:
            subscriptions = [sub for sub in subscriptions if any(i["price"] == kwargs["price"] for i in sub._items)]
        return _list(url, subscriptions, limit, starting_after)

    @classmethod
    def _api_retrieve(cls, id: str) -> Subscription:
        found = store.get(f"subscription:{id}")
        if not isinstance(found, Subscription):
            raise _no_such("subscription", id)
        return found

    # ------------------------------------------------ dev hooks

    def _renew(self, *, fail: bool) -> None:
        if self.status in ("canceled", "incomplete_expired", "incomplete"):
            raise _invalid(f"A subscription that is {self.status} does not renew.")
        if fail and self.status in ("past_due", "unpaid"):
            retried = self._open_renewal()
            if retried is not None:
                retried._failed("Your card was declined.")
                return
        end = self._period[1]
        if self.cancel_at_period_end:
            self._end(end, "cancellation_requested")
            return
        before = self._export()
        self._period = (end, _add_interval(end, *self._interval))
        invoice = self._bill("subscription_cycle", [_line(self, item, self._period) for item in self._items],
                             self._period)  # fmt: skip
        self._updated(before)
        invoice._finalize()
        if invoice.status != "open":
            return
        method = self._payment_method()
        if fail:
            invoice._failed("Your card was declined.")
        elif method and invoice.payment_intent:
            invoice._charge(method)  # the saved card (a declining one fails the renewal: 402)
        else:
            _settle(invoice)

    def _payment_method(self) -> str | None:
        """What an automatic charge uses: the subscription's default payment method, else the customer's."""
        customer = Customer._api_retrieve(self.customer)
        found = self.default_payment_method or customer.invoice_settings.get("default_payment_method")
        return str(found) if found else None


def _prorate(subscription: Subscription, old: dict[str, dict[str, Any]], new: list[dict[str, Any]]) -> list[Any]:
    """Pending invoice items for the part of the period left: old items credited, new ones charged."""
    now = _now()
    start, end = subscription._period
    fraction = max(0.0, min(1.0, (end - now) / (end - start))) if end > start else 0.0
    when = datetime.fromtimestamp(now, UTC).strftime("%d %b %Y")
    made = []
    new_by_id = {item["id"]: item for item in new}
    changed = [(old.get(item_id), new_by_id.get(item_id)) for item_id in old.keys() | new_by_id.keys()]
    for before, after in changed:
        if before and after and (before["price"], before["quantity"]) == (after["price"], after["quantity"]):
            continue
        for item, sign, label in ((before, -1, "Unused time"), (after, 1, "Remaining time")):
            if item is None:
                continue
            price = store[f"price:{item['price']}"]
            amount = sign * round(price.unit_amount * item["quantity"] * fraction)
            made.append(InvoiceItem(amount=amount, currency=price.currency, customer=subscription.customer,
                                    subscription=subscription.id, proration=True, period_start=now, period_end=end,
                                    description=f"{label} on {item['quantity']} x {_product_name(price)} after {when}",
                                    metadata={"price": price.id, "subscription_item": item["id"]}))  # fmt: skip
    return made


# ---------------------------------------------------------------- HTTP

Handler = Callable[..., Awaitable[web.StreamResponse]]


async def _data(request: web.Request) -> tuple[dict[str, Any], Any]:
    data = dict(await get_post_data(request) or {})
    return data, data.pop("expand", None)


def _query(request: web.Request) -> tuple[dict[str, Any], Any]:
    data = unflatten_data(request.query)
    return data, data.pop("expand", None)


def _paging(data: dict[str, Any]) -> tuple[Any, Any]:
    return data.pop("limit", None), data.pop("starting_after", None)


async def create_price(request: web.Request) -> web.Response:
    data, expand = await _data(request)
    return json_response(Price(**data)._export(expand=expand))


async def create_subscription(request: web.Request) -> web.Response:
    data, expand = await _data(request)
    return json_response(Subscription(**data)._export(expand=expand))


async def update_subscription(request: web.Request, id: str) -> web.Response:
    data, expand = await _data(request)
    return json_response(Subscription._api_update(id, **data)._export(expand=expand))


async def cancel_subscription(request: web.Request, id: str) -> web.Response:
    data, expand = _query(request)
    if request.can_read_body:
        body, body_expand = await _data(request)
        data, expand = {**data, **body}, body_expand or expand
    return json_response(Subscription._api_cancel(id, **data)._export(expand=expand))


def _retrieve(cls: Any) -> Handler:
    async def handler(request: web.Request, id: str) -> web.Response:
        _, expand = _query(request)
        return json_response(cls._api_retrieve(id)._export(expand=expand))

    return handler


def _list_all(cls: Any, url: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        data, expand = _query(request)
        limit, starting_after = _paging(data)
        return json_response(cls._api_list_all(url, limit, starting_after, **data)._export(expand=expand))

    return handler


async def invoice_lines(request: web.Request, id: str) -> web.Response:
    return json_response(Invoice._api_retrieve(id).lines)


async def pay_invoice(request: web.Request, id: str) -> web.Response:
    """``POST /v1/invoices/{id}/pay``: out of band, with ``payment_method``, or with the default one."""
    data, expand = await _data(request)
    _check_params(data, {"paid_out_of_band", "payment_method", "off_session", "forgive"})
    invoice = Invoice._api_retrieve(id)
    if invoice.status == "paid":
        raise _invalid("Invoice is already paid", code="invoice_already_paid")
    if invoice.status != "open":
        raise _invalid(f"This invoice is {invoice.status}: only an open invoice can be paid.")
    if _bool(data, "paid_out_of_band"):
        _settle(invoice)
    else:
        method = _string(data, "payment_method") or invoice._subscription_obj()._payment_method()
        if not method:
            raise _invalid("This customer has no attached payment source or default payment method.",
                           code="resource_missing")  # fmt: skip
        invoice._charge(method)
    return json_response(invoice._export(expand=expand))


def _settle(invoice: Invoice) -> None:
    intent = store.get(f"payment_intent:{invoice.payment_intent}") if invoice.payment_intent else None
    if intent is not None and intent.status not in ("succeeded", "canceled", "processing"):
        intent._canceled = True  # paid without it: it can't charge a second time
    invoice._mark_paid(out_of_band=True)


def _hook(action: Callable[[Subscription], None]) -> Handler:
    async def handler(request: web.Request, id: str) -> web.Response:
        subscription = Subscription._api_retrieve(id)
        action(subscription)
        return json_response(subscription._export(expand=["latest_invoice"]))

    return handler


def _unpaid(subscription: Subscription) -> None:
    if subscription.status not in ("past_due", "unpaid"):
        raise _invalid(f"Only a past_due subscription turns unpaid (this one is {subscription.status}).")
    subscription._set(status="unpaid")


async def dev_pay_invoice(request: web.Request, id: str) -> web.Response:
    invoice = Invoice._api_retrieve(id)
    if invoice.status != "open":
        raise _invalid(f"This invoice is {invoice.status}: only an open invoice can be paid.")
    _settle(invoice)
    return json_response(invoice._export())


async def confirm_intent(request: web.Request, id: str, fallback: Handler) -> web.StreamResponse:
    """``confirm`` with ``payment_method`` (localstripe answers 500 to it): attach, then localstripe's confirm."""
    data, expand = await _data(request)
    method = data.pop("payment_method", None)
    if method is None:
        return await fallback(request)
    _check_params(data, {"return_url", "off_session", "setup_future_usage", "client_secret", "mandate_data",
                         "payment_method_options", "use_stripe_sdk"})  # fmt: skip
    intent = store.get(f"payment_intent:{id}")
    if intent is None:
        raise _no_such("payment_intent", id)
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        raise _invalid(f"This PaymentIntent's status is {intent.status}: it cannot be confirmed.",
                       code="payment_intent_unexpected_state")  # fmt: skip
    _confirm_intent(intent, str(method))
    return json_response(intent._export(expand=expand))


ROUTES: list[tuple[str, str, Handler, bool]] = [  # method, path, handler, idempotent (POST)
    ("POST", "/v1/prices", create_price, True),
    ("GET", "/v1/prices", _list_all(Price, "/v1/prices"), False),
    ("GET", "/v1/prices/{id}", _retrieve(Price), False),
    ("POST", "/v1/subscriptions", create_subscription, True),
    ("GET", "/v1/subscriptions", _list_all(Subscription, "/v1/subscriptions"), False),
    ("GET", "/v1/subscriptions/{id}", _retrieve(Subscription), False),
    ("POST", "/v1/subscriptions/{id}", update_subscription, True),
    ("DELETE", "/v1/subscriptions/{id}", cancel_subscription, False),
    ("GET", "/v1/invoices", _list_all(Invoice, "/v1/invoices"), False),
    ("GET", "/v1/invoices/{id}", _retrieve(Invoice), False),
    ("GET", "/v1/invoices/{id}/lines", invoice_lines, False),
    ("POST", "/v1/invoices/{id}/pay", pay_invoice, True),
    ("POST", "/billing/invoices/{id}/pay", dev_pay_invoice, False),
    ("POST", "/billing/subscriptions/{id}/renew", _hook(lambda sub: sub._renew(fail=False)), False),
    ("POST", "/billing/subscriptions/{id}/fail", _hook(lambda sub: sub._renew(fail=True)), False),
    ("POST", "/billing/subscriptions/{id}/unpaid", _hook(_unpaid), False),
]


def _match(method: str, path: str) -> tuple[Handler, dict[str, str], bool] | None:
    parts = path.rstrip("/").split("/")
    for route_method, pattern, handler, is_idempotent in ROUTES:
        template = pattern.split("/")
        if route_method != method or len(template) != len(parts):
            continue
        params: dict[str, str] = {}
        for want, got in zip(template, parts, strict=True):
            if want.startswith("{"):
                if not got or got in ("upcoming", "create_preview"):
                    break
                params[want[1:-1]] = got
            elif want != got:
                break
        else:
            return handler, params, is_idempotent
    return None


@web.middleware
async def billing_routes(request: web.Request, handler: Any) -> web.StreamResponse:
    """Our routes first (innermost: localstripe's auth and errors apply); the prices come back after a flush."""
    found = _match(request.method, request.path)
    if found is not None:
        route, params, is_idempotent = found

        async def call(req: web.Request) -> web.StreamResponse:
            return await route(req, **params)

        return await (idempotent(call) if is_idempotent else call)(request)
    parts = request.path.split("/")
    if request.method == "POST" and len(parts) == 5 and parts[1:3] == ["v1", "payment_intents"] \
            and parts[4] == "confirm":  # fmt: skip
        return await confirm_intent(request, parts[3], handler)
    if request.method == "POST" and request.path in ("/v1/customers", "/v1/customers/"):
        return await idempotent(handler)(request)
    response = await handler(request)
    if request.method == "DELETE" and request.path == "/_config/data":
        seed_prices()
    return response


async def _seed_on_startup(app: web.Application) -> None:
    seed_prices()


def install(app: web.Application) -> None:
    """Add Billing to localstripe's app; call before the app starts (its middlewares freeze then)."""
    app.middlewares.append(billing_routes)
    app.on_startup.append(_seed_on_startup)
