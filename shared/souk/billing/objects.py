"""Reading Stripe Billing objects (subscriptions, invoices), pure: no AWS, no Stripe call.

Stripe moved fields between API versions: a subscription's period is on its items since
2025-03-31 (``items.data[].current_period_end``), an invoice names its subscription under
``parent.subscription_details`` and the client secret of its first payment is
``latest_invoice.confirmation_secret`` (before: ``payment_intent.client_secret``). These helpers read
either shape, so the webhook and the routes do not care which one Stripe (or the local fake) sends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# A subscriber has at most one of these: a new subscription is refused (409) while one is.
LIVE = frozenset({"incomplete", "trialing", "active", "past_due", "paused"})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def at(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def first_item(subscription: dict[str, Any]) -> dict[str, Any]:
    data = _dict(subscription.get("items")).get("data")
    return _dict(data[0]) if isinstance(data, list) and data else {}


def period(subscription: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The current period (start, end) of a subscription object, from its first item or itself."""
    item = first_item(subscription)
    start = _int(item.get("current_period_start")) or _int(subscription.get("current_period_start"))
    end = _int(item.get("current_period_end")) or _int(subscription.get("current_period_end"))
    return at(start), at(end)


def price_id(subscription: dict[str, Any]) -> str | None:
    price = first_item(subscription).get("price")
    found = price.get("id") if isinstance(price, dict) else price
    return found if isinstance(found, str) else None


def client_secret(subscription: dict[str, Any]) -> str | None:
    """The secret the client confirms the first payment with, from an expanded ``latest_invoice``."""
    invoice = _dict(subscription.get("latest_invoice"))
    secret = _dict(invoice.get("confirmation_secret")).get("client_secret")
    secret = secret or _dict(invoice.get("payment_intent")).get("client_secret")
    return secret if isinstance(secret, str) and secret else None


def metadata(obj: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in _dict(obj.get("metadata")).items()}


def invoice_subscription(invoice: dict[str, Any]) -> str | None:
    """The subscription id an invoice bills, whichever API version shaped it."""
    found = invoice.get("subscription") or _dict(_dict(invoice.get("parent")).get("subscription_details")).get(
        "subscription"
    )
    if isinstance(found, dict):
        found = found.get("id")
    return found if isinstance(found, str) and found else None


def invoice_period(invoice: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The service period billed: the first line's period, else the invoice's own."""
    lines = _dict(invoice.get("lines")).get("data")
    line_period = _dict(_dict(lines[0]).get("period")) if isinstance(lines, list) and lines else {}
    start = _int(line_period.get("start")) or _int(invoice.get("period_start"))
    end = _int(line_period.get("end")) or _int(invoice.get("period_end"))
    return at(start), at(end)
